"""The secret feed links: made on /feeds/, shown once, replaced, revoked; no session needed."""

import re
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from releasehub.audit.models import TimelineEvent
from releasehub.feeds.models import FeedToken, secret_digest
from tests.factories import rm, user_with
from tests.feeds.conftest import design_release, feed_path, parse

pytestmark = pytest.mark.django_db

URL = re.compile(rb"http://[^<\s]+/feeds/([A-Za-z0-9_-]{40,})/train\.ics")


def _make_link(client, user) -> tuple[str, bytes]:
    """POST "Make a link" as `user`; the secret and the page that showed it."""
    client.force_login(user)
    response = client.post(reverse("feeds:create"), follow=True)
    assert response.status_code == 200
    found = URL.search(response.content)
    assert found, response.content.decode()[:2000]
    return found.group(1).decode(), response.content


def test_a_new_link_is_shown_once_and_only_its_hash_is_kept(client):
    user = user_with("support")
    secret, page = _make_link(client, user)
    assert b"webcal://" in page and secret.encode() + b"/mine.ics" in page
    token = FeedToken.objects.get(user=user)
    assert token.digest == secret_digest(secret) and secret not in token.digest
    again = client.get(reverse("feeds:manage"))
    assert secret.encode() not in again.content
    assert b"You have a live link" in again.content
    assert TimelineEvent.objects.filter(verb="feeds.link_created", actor=user).count() == 1


def test_a_new_link_revokes_the_old_one(client):
    user = rm()
    old, _ = _make_link(client, user)
    new, _ = _make_link(client, user)
    client.logout()
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(new)).status_code == 200
    assert FeedToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_a_revoked_link_is_404(client):
    user = rm()
    secret, _ = _make_link(client, user)
    response = client.post(reverse("feeds:revoke"), follow=True)
    assert b"revoked" in response.content
    client.logout()
    assert client.get(feed_path(secret)).status_code == 404
    assert client.get(feed_path(secret, "mine")).status_code == 404
    assert TimelineEvent.objects.filter(verb="feeds.link_revoked", actor=user).count() == 1


def test_revoking_without_a_link_says_so_and_writes_nothing(client):
    client.force_login(rm())
    response = client.post(reverse("feeds:revoke"), follow=True)
    assert b"no calendar feed link to revoke" in response.content
    assert not TimelineEvent.objects.exists()


def test_unknown_secrets_are_404(client):
    assert client.get(feed_path("x" * 43)).status_code == 404
    assert client.get(feed_path("nope", "mine")).status_code == 404


def test_a_deactivated_persons_link_stops_working(client):
    user = rm()
    secret, _ = _make_link(client, user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    client.logout()
    assert client.get(feed_path(secret, "mine")).status_code == 404


def test_feeds_answer_get_only(client):
    secret, _ = _make_link(client, rm())
    assert client.post(feed_path(secret)).status_code == 405
    assert client.get(reverse("feeds:create")).status_code == 405


def test_making_a_link_needs_a_signed_in_person_and_csrf():
    from django.test import Client

    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(reverse("feeds:create"))
    assert response.status_code in (302, 403)
    user = rm()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("feeds:create")).status_code == 403
    assert not FeedToken.objects.exists()


def test_the_calendar_page_links_to_the_feeds(client):
    client.force_login(rm())
    response = client.get(reverse("releases:calendar"))
    assert reverse("feeds:manage").encode() in response.content


@pytest.mark.django_db(transaction=True)
def test_a_calendar_app_fetches_the_feed_over_http_with_no_cookie(live_server, secret_for):
    release = design_release()
    secret = secret_for(rm())
    with urllib.request.urlopen(live_server.url + feed_path(secret)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert response.headers.get("Set-Cookie") is None
        assert "private" in response.headers["Cache-Control"]
        calendar = parse(response.read())
    assert any(str(release.code) in str(e["UID"]) for e in calendar.walk("VEVENT"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(live_server.url + feed_path("not-a-secret"))
    assert refused.value.code == 404


def test_a_machine_user_gets_no_feed_link(client):
    machine = rm(username="machine:ci", is_machine=True)
    client.force_login(machine)
    assert client.post(reverse("feeds:create")).status_code == 403
    assert not FeedToken.objects.exists()
