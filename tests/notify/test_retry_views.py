"""SRE and staff see failed deliveries on the timed-actions page and send them again."""

import pytest

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.notify import services
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import ReleaseFactory, UserFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def failed(monkeypatch) -> list[Outbox]:
    release = ReleaseFactory()
    action = ScheduledAction.objects.create(
        release=release, kind=ActionKind.FREEZE, due_at=release.created_at
    )
    users = [UserFactory(username=n, roles=[(Role.SQUAD_REP, "patient")]) for n in ("a", "b")]
    rows = services.outbox_add(action=action, users=users, subject="Freeze", body="Body")
    Outbox.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=DeliveryStatus.FAILED, last_error="SMTPConnectError: down"
    )
    return rows


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    ids: list[int] = []
    monkeypatch.setattr(services, "enqueue_deliveries", ids.extend)
    return ids


def test_sre_sees_failed_deliveries_on_the_timed_actions_page(client, failed):
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    page = client.get("/timed-actions/").content.decode()
    assert "Failed deliveries" in page and "SMTPConnectError: down" in page
    assert f"/timed-actions/deliveries/{failed[0].code}/retry/" in page
    assert "Retry all failed" in page


@pytest.mark.parametrize("url", ["one", "all"])
def test_only_sre_and_staff_retry_deliveries_and_a_refusal_changes_nothing(
    client, failed, enqueued, url
):
    path = (
        f"/timed-actions/deliveries/{failed[0].code}/retry/"
        if url == "one"
        else "/timed-actions/deliveries/retry-failed/"
    )
    client.force_login(UserFactory(username="p", roles=[(Role.SQUAD_REP, "patient")]))
    assert client.post(path).status_code == 403
    assert client.post(path, headers={"HX-Request": "true"}).status_code == 403
    assert set(Outbox.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert not TimelineEvent.objects.filter(verb="notify.retried").exists() and enqueued == []


def test_sre_retries_one_failed_delivery_on_the_timeline_and_it_is_enqueued(
    client, failed, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="sre", roles=[Role.SRE]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/timed-actions/deliveries/{failed[0].code}/retry/")
    assert response.status_code == 302
    statuses = dict(Outbox.objects.values_list("pk", "status"))
    assert statuses == {failed[0].pk: DeliveryStatus.PENDING, failed[1].pk: DeliveryStatus.FAILED}
    assert enqueued == [failed[0].pk]
    event = TimelineEvent.objects.get(verb="notify.retried")
    assert event.target_id == str(failed[0].pk) and event.release_id == failed[0].release_id


def test_staff_retries_all_failed_deliveries(
    client, failed, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="boss", is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/timed-actions/deliveries/retry-failed/", headers={"HX-Request": "true"}
        )
    assert response.status_code in (200, 302)
    assert set(Outbox.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert sorted(enqueued) == sorted(r.pk for r in failed)
    assert TimelineEvent.objects.filter(verb="notify.retried").count() == 2
    row = Outbox.objects.get(pk=failed[0].pk)
    assert row.give_up_at is not None
