"""The release page's delivery log retries a failed delivery in place: SRE and staff only, the
same view and rule as the timed-actions page, an htmx fragment back, a timeline event each."""

import pytest
from django.test import Client

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.notify import services
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import ReleaseFactory, UserFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX_FROM_THE_LOG = {"HX-Request": "true", "HX-Target": "delivery-log"}


@pytest.fixture
def rows() -> list[Outbox]:
    """Two deliveries of one release's freeze e-mail: the first given up on, the second sent."""
    release = ReleaseFactory()
    action = ScheduledAction.objects.create(
        release=release, kind=ActionKind.FREEZE, due_at=release.created_at
    )
    people = [UserFactory(username=n, roles=[(Role.SQUAD_REP, "patient")]) for n in ("a", "b")]
    failed, sent = services.outbox_add(action=action, users=people, subject="Freeze", body="B")
    Outbox.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, last_error="SMTPConnectError: down"
    )
    Outbox.objects.filter(pk=sent.pk).update(status=DeliveryStatus.SENT)
    return [failed, sent]


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(services, "enqueue_deliveries", ids.extend)
    return ids


def _retry_url(row: Outbox) -> str:
    return f"/timed-actions/deliveries/{row.code}/retry/"


def _log(client, row: Outbox) -> str:
    page = client.get(f"/releases/{row.release.code}/?section=delivery-log").content.decode()
    return page[page.index('id="delivery-log"') :]


def _nothing_changed(rows, enqueued) -> bool:
    statuses = list(Outbox.objects.order_by("pk").values_list("status", flat=True))
    return (
        statuses == [DeliveryStatus.FAILED, DeliveryStatus.SENT]
        and not TimelineEvent.objects.filter(verb="notify.retried").exists()
        and enqueued == []
    )


@pytest.mark.parametrize("who", ["sre", "staff"])
def test_sre_and_staff_see_a_retry_button_on_the_failed_delivery_only(client, rows, who):
    user = UserFactory(
        username=who, roles=[Role.SRE] if who == "sre" else [], is_staff=who != "sre"
    )
    client.force_login(user)
    log = _log(client, rows[0])
    assert log.count(f'hx-post="{_retry_url(rows[0])}"') == 1
    assert f'action="{_retry_url(rows[0])}"' in log  # a plain POST works too
    assert _retry_url(rows[1]) not in log  # sent: nothing to retry
    assert 'hx-target="#delivery-log"' in log and "csrfmiddlewaretoken" in log


def test_others_see_no_retry_button(client, rows):
    client.force_login(UserFactory(username="rm", roles=[Role.RELEASE_MANAGER]))
    log = _log(client, rows[0])
    assert "SMTPConnectError: down" in log and "Retry" not in log


def test_sre_retries_from_the_log_and_gets_the_log_back_with_a_timeline_event(
    client, rows, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry_url(rows[0]), headers=HTMX_FROM_THE_LOG)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="delivery-log"')  # the log, not a page
    assert "<html" not in fragment and "will be retried now" in fragment
    assert _retry_url(rows[0]) not in fragment  # pending again: no button
    assert Outbox.objects.get(pk=rows[0].pk).status == DeliveryStatus.PENDING
    assert enqueued == [rows[0].pk]
    event = TimelineEvent.objects.get(verb="notify.retried")
    assert event.release_id == rows[0].release_id and event.actor.username == "sre"


def test_a_plain_post_from_the_log_returns_to_the_release_page(client, rows, enqueued):
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    response = client.post(_retry_url(rows[0]), {"next": "release"})
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/releases/{rows[0].release.code}/?section=delivery-log#delivery-log"
    )
    assert Outbox.objects.get(pk=rows[0].pk).status == DeliveryStatus.PENDING


def test_a_second_retry_changes_nothing_and_says_so(client, rows, enqueued):
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    client.post(_retry_url(rows[0]), headers=HTMX_FROM_THE_LOG)
    response = client.post(_retry_url(rows[0]), headers=HTMX_FROM_THE_LOG)
    assert response.status_code == 200
    assert "no longer failed; nothing changed" in response.content.decode()
    assert TimelineEvent.objects.filter(verb="notify.retried").count() == 1


@pytest.mark.parametrize("role", [Role.RELEASE_MANAGER, Role.QA_LEAD, Role.LEADERSHIP])
def test_others_are_refused_with_nothing_changed(client, rows, enqueued, role):
    client.force_login(UserFactory(username="someone", roles=[role]))
    assert client.post(_retry_url(rows[0]), headers=HTMX_FROM_THE_LOG).status_code == 403
    assert client.post(_retry_url(rows[0]), {"next": "release"}).status_code == 403
    assert _nothing_changed(rows, enqueued)


def test_a_retry_without_the_csrf_token_is_refused(rows, enqueued):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    assert client.post(_retry_url(rows[0]), headers=HTMX_FROM_THE_LOG).status_code == 403
    assert _nothing_changed(rows, enqueued)
