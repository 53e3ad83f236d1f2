"""The demo seed's release days, and the evidence tables refusing edits."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from releasehub.accounts.models import User
from releasehub.releases.models import Release
from releasehub.rollout.models import (
    Deployment,
    LogEntry,
    Rollback,
    RolloutStep,
    Step,
)
from releasehub.rollout.selectors import board
from tests.factories import rollout_release, service

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def seeded(settings):
    from releasehub.demo.seed import seed_demo

    settings.DEBUG = True
    seed_demo(today=TODAY)
    seed_demo(today=TODAY)  # idempotent


def test_the_demo_has_a_completed_a_rolled_back_and_a_live_release_day(seeded, client):
    completed = LogEntry.objects.get(completes=True).release
    assert completed.status == Release.Status.COMPLETED
    done = board(completed)
    assert all(r.done for r in done.in_scope) and len(done.in_scope) == 9
    assert done.deployment_duration == dt.timedelta(minutes=95)
    rollback = Rollback.objects.select_related("release").get()
    assert rollback.release.status == Release.Status.ROLLED_BACK
    failed = Deployment.objects.with_failed().filter(release=rollback.release, failed=True)
    assert [d.service.slug for d in failed] == ["payments"]
    live = Release.objects.get(status=Release.Status.DEPLOYING)
    live_board = board(live)
    assert live_board.open_window.component.slug == "appointments"
    assert "monitoring window is still open" in live_board.blocked[0]
    client.force_login(User.objects.get(username="arjun"))
    for release in (completed, rollback.release, live):
        assert client.get(reverse("rollout:board", args=[release.code])).status_code == 200


def test_steps_and_deployments_refuse_update_and_delete(cast):
    release = rollout_release(["identity"], [])
    from releasehub.rollout.services.promotion import service_step_record

    step = service_step_record(
        release=release,
        service=service("identity"),
        kind=Step.STAGING_DEPLOYED,
        actor=cast["kiran"],
    )
    for statement in (
        lambda: RolloutStep.objects.filter(pk=step.pk).update(note="edited"),
        lambda: RolloutStep.objects.filter(pk=step.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    assert RolloutStep.objects.get(pk=step.pk).note == ""


def test_rollbacks_still_refuse_update_and_delete_now_a_release_may_have_several(cast):
    """The migration to several rollbacks per release copied the table on SQLite."""
    release = rollout_release(["identity"], [])
    rollback = Rollback.objects.create(
        release=release, scope="partial", reason="5xx", actor=cast["kiran"], at=release.window_start
    )
    for statement in (
        lambda: Rollback.objects.filter(pk=rollback.pk).update(reason="edited"),
        lambda: Rollback.objects.filter(pk=rollback.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    assert Rollback.objects.get(pk=rollback.pk).reason == "5xx"
