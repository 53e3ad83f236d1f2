"""Self-service password reset by e-mail through the outbox, throttled, and silent about which
addresses exist: issue #14, item 2."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core import mail

from releasehub.notify.models import Outbox
from releasehub.notify.services import outbox_deliver
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = "/accounts/password_reset/"
NEW_PASSWORD = "a-much-longer-passphrase-42"


def request_reset(client, email: str, address: str = "203.0.113.10"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, follow=True)


def main_of(response) -> str:
    """The page's own content, without the per-request CSRF token in the layout."""
    return re.search(r"<main.*</main>", response.content.decode(), re.S).group(0)


def link_in(body: str) -> str:
    match = re.search(re.escape(settings.SITE_URL) + r"(/accounts/reset/\S+/)", body)
    assert match, body
    return match.group(1)


def sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.fixture
def asha():
    return UserFactory(username="asha", email="Asha@Example.com")


def test_the_login_page_links_to_the_reset_form(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{RESET}"' in page
    assert client.get(RESET).status_code == 200


def test_known_and_unknown_addresses_get_the_same_page(client, asha):
    known = request_reset(client, "asha@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert main_of(known) == main_of(unknown)
    assert Outbox.objects.count() == 1


def test_a_known_address_gets_a_working_link_through_the_outbox(client, asha):
    request_reset(client, "ASHA@example.com")
    row = Outbox.objects.get()
    assert row.recipient == "Asha@Example.com" and row.user == asha
    assert row.action is None and row.message is None and row.release is None
    assert outbox_deliver(row.pk) == "sent"
    (sent,) = mail.outbox
    assert sent.to == ["Asha@Example.com"]
    link = link_in(sent.body)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "New password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password has been set" in done.content.decode()
    assert sign_in(client, "asha", settings.DEMO_PASSWORD).status_code == 200
    assert sign_in(client, "asha", NEW_PASSWORD).status_code == 302
    # The link is used up.
    again = client.__class__().get(link, follow=True)
    assert "no longer valid" in again.content.decode()


def test_a_reset_ends_every_session_of_the_account(client, asha):
    elsewhere = client.__class__()
    elsewhere.force_login(asha)
    request_reset(client, "asha@example.com")
    form = client.get(link_in(Outbox.objects.get().body), follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert elsewhere.get("/").status_code == 302


def test_a_reset_lifts_a_sign_in_lock_of_the_account(client, asha):
    for _ in range(settings.SIGNIN_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "asha", "password": "wrong"})
    assert sign_in(client, "asha", settings.DEMO_PASSWORD).status_code == 429
    request_reset(client, "asha@example.com")
    form = client.get(link_in(Outbox.objects.get().body), follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert sign_in(client, "asha", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("email", ["asha@example.com", "nobody@example.com"])
def test_requests_for_one_address_are_throttled_the_same_whether_it_exists(
    client, asha, email, fixed_clock
):
    limit = settings.PASSWORD_RESET_LIMIT_PER_EMAIL
    for n in range(limit):
        assert request_reset(client, email, f"198.51.100.{n}").status_code == 200
    refused = request_reset(client, email, "198.51.100.99")
    assert refused.status_code == 429
    assert "Too many reset requests; try again in 60 minutes" in refused.content.decode()
    assert Outbox.objects.count() == (limit if email.startswith("asha") else 0)
    fixed_clock.shift(dt.timedelta(hours=1, seconds=1))
    assert request_reset(client, email).status_code == 200


def test_requests_from_one_client_address_are_throttled(client, asha):
    limit = settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    for n in range(limit):
        assert request_reset(client, f"person{n}@example.com").status_code == 200
    assert request_reset(client, "asha@example.com").status_code == 429
    assert not Outbox.objects.exists()
    assert request_reset(client, "asha@example.com", "198.51.100.7").status_code == 200


def test_a_malformed_address_is_a_message(client):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
