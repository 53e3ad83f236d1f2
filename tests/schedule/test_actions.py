"""Every timed action on the moved clock: what it changes, who is told, and what it says."""

import datetime as dt

import pytest
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.catalog.models import Service
from releasehub.notify.models import Outbox
from releasehub.releases.clock import IST
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import (
    release_cancel,
    release_create,
    release_move,
    release_transition,
)
from releasehub.schedule import planning
from releasehub.schedule.models import LIVE_STATUSES, ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.selectors import monitoring_window_closed
from releasehub.schedule.services import claim_due, recovery_sweep, run_action
from tests.schedule.conftest import fire_due

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
UTC = dt.UTC
S = Release.Status


def _recipients(release, kind) -> set[str]:
    return set(
        Outbox.objects.filter(action__release=release, action__kind=kind).values_list(
            "user__username", flat=True
        )
    )


def _body(release, kind) -> str:
    return Outbox.objects.filter(action__release=release, action__kind=kind).first().body


def _ist(y, mo, d, h, mi) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=IST)


def test_t_minus_48h_reminds_checklist_owners_and_the_rm(release, clock):
    clock.move_to(_ist(2026, 11, 30, 10, 0))
    assert fire_due() == [ActionStatus.DONE]
    # Owners by role: squad reps (tickets, flags), QA (regression), SRE (infra, rollback plans);
    # the RM's items go to this release's RM only, not to vikram, the other rota member.
    assert _recipients(release, ActionKind.PRE_RELEASE_DUE) == {
        "asha",
        "priya",
        "rahul",
        "kiran",
        "neha",
    }
    body = _body(release, ActionKind.PRE_RELEASE_DUE)
    assert "pre-release checklist is due" in body
    assert "Due by: Mon 30 Nov 2026, 18:00 IST" in body  # before the freeze
    assert f"http://127.0.0.1:8000/releases/{release.code}/" in body


def test_t_minus_48h_leaves_out_owners_whose_items_are_done(release, clock, people):
    from releasehub.readiness.models import Suite
    from releasehub.readiness.services.qa import regression_record

    for suite in Suite.values:  # the regression item is computed from these
        regression_record(
            release=release, actor=people["qa"], suite=suite, passed=10, failed=0, skipped=0
        )
    clock.move_to(_ist(2026, 11, 30, 10, 0))
    fire_due()
    assert "neha" not in _recipients(release, ActionKind.PRE_RELEASE_DUE)
    assert "kiran" in _recipients(release, ActionKind.PRE_RELEASE_DUE)


def test_freeze_at_monday_1800_ist_freezes_the_release_and_tells_the_squads(release, clock):
    clock.move_to(_ist(2026, 11, 30, 17, 59))
    fire_due()  # T-48h
    assert fire_due() == []
    clock.move_to(_ist(2026, 11, 30, 18, 0))
    assert fire_due() == [ActionStatus.DONE]
    release.refresh_from_db()
    assert release.status == S.FROZEN
    event = TimelineEvent.objects.filter(release=release, verb="release.status").get()
    assert event.automatic and event.after == {"status": "frozen"}
    assert _recipients(release, ActionKind.FREEZE) == {"asha", "priya", "rahul"}
    body = _body(release, ActionKind.FREEZE)
    assert "started at Mon 30 Nov 2026, 18:00 IST" in body
    assert "freeze exception" in body and "Due by: Wed 02 Dec 2026, 10:00 IST" in body
    subject = Outbox.objects.filter(action__kind=ActionKind.FREEZE).first().subject
    assert subject == "[2026.12.02] Code freeze has started"


def test_freeze_of_a_release_frozen_by_hand_changes_nothing(release, clock, people):
    release_transition(release=release, to=S.FROZEN, actor=people["rm"], reason="early")
    clock.move_to(_ist(2026, 11, 30, 18, 0))
    assert fire_due() == [ActionStatus.SKIPPED, ActionStatus.DONE]  # T-48h too late by now
    row = ScheduledAction.objects.get(release=release, kind=ActionKind.FREEZE)
    assert "already Code freeze" in row.note
    assert TimelineEvent.objects.filter(release=release, verb="release.status").count() == 1


def test_t_minus_24h_meeting_reminder_carries_the_agenda(release, clock):
    clock.move_to(_ist(2026, 12, 1, 10, 0))
    results = fire_due()
    assert results.count(ActionStatus.DONE) == 2  # the freeze, then the meeting
    assert _recipients(release, ActionKind.PRE_RELEASE_MEETING) == {
        "asha",
        "priya",
        "rahul",
        "kiran",
        "neha",
    }
    body = _body(release, ActionKind.PRE_RELEASE_MEETING)
    for item in ("Scope: Booking: slot holds", "Risks", "Pending approvals", "On-call"):
        assert item in body
    assert "dashboards" in body.lower()


def test_go_no_go_reminds_signers_at_0900_and_summarises_for_the_rm_at_0930(release, clock):
    clock.move_to(_ist(2026, 12, 1, 10, 0))
    fire_due()
    clock.move_to(_ist(2026, 12, 2, 9, 0))
    assert fire_due() == [ActionStatus.DONE]
    # The signers who owe a sign-off; the RM gets the 09:30 summary instead.
    assert _recipients(release, ActionKind.GO_NO_GO_REMINDER) == {"priya", "rahul", "kiran"}
    assert "Due by: Wed 02 Dec 2026, 09:30 IST" in _body(release, ActionKind.GO_NO_GO_REMINDER)
    clock.move_to(_ist(2026, 12, 2, 9, 30))
    assert fire_due() == [ActionStatus.DONE]
    assert _recipients(release, ActionKind.GO_NO_GO_SUMMARY) == {"asha"}
    assert "record Go or No-Go" in _body(release, ActionKind.GO_NO_GO_SUMMARY)


def test_go_no_go_reminder_skips_those_who_signed(release, clock, people):
    from releasehub.readiness.panels import SRE_SLOT
    from releasehub.readiness.services.signoffs import signoff_record

    clock.move_to(_ist(2026, 12, 2, 8, 0))
    signoff_record(release=release, actor=people["sre"], slot=SRE_SLOT, decision="go")
    clock.move_to(_ist(2026, 12, 2, 9, 0))
    fire_due()
    assert _recipients(release, ActionKind.GO_NO_GO_REMINDER) == {"priya", "rahul"}


def test_no_outbox_row_for_a_person_without_an_email(release, clock, people):
    type(people["doctor"]).objects.filter(username="rahul").update(email="")
    clock.move_to(_ist(2026, 11, 30, 10, 0))
    fire_due()
    assert "rahul" not in _recipients(release, ActionKind.PRE_RELEASE_DUE)


def test_each_promoted_service_closes_its_window_15_minutes_later(release, clock, people):
    clock.move_to(_ist(2026, 12, 2, 10, 0))
    fire_due()
    release_transition(release=release, to=S.GO, actor=people["rm"])
    release_transition(release=release, to=S.DEPLOYING, actor=people["rm"])
    identity = Service.objects.get(slug="identity")
    planning.plan_monitoring_window(release, identity, promoted_at=timezone.now())
    clock.shift(dt.timedelta(minutes=14, seconds=59))
    assert fire_due() == []
    assert not monitoring_window_closed(release, identity)
    clock.shift(dt.timedelta(seconds=1))
    assert fire_due() == [ActionStatus.DONE]
    assert monitoring_window_closed(release, identity)
    event = TimelineEvent.objects.get(verb="rollout.monitoring_window_closed")
    assert "Providers may be promoted now" in event.summary
    assert _recipients(release, ActionKind.MONITORING_WINDOW_CLOSES) == {"asha", "kiran"}


def test_a_re_promotion_replaces_the_running_window(release, clock, people):
    release_transition(release=release, to=S.DEPLOYING, actor=people["rm"])
    identity = Service.objects.get(slug="identity")
    first = planning.plan_monitoring_window(release, identity, promoted_at=timezone.now())
    second = planning.plan_monitoring_window(release, identity, promoted_at=timezone.now())
    first.refresh_from_db()
    assert first.status == ActionStatus.SUPERSEDED and second.sequence == 1


def test_post_release_watch_closes_24h_after_completion(release, clock, people):
    clock.move_to(_ist(2026, 12, 2, 10, 0))
    fire_due()
    for status in (S.GO, S.DEPLOYING, S.VERIFYING, S.MONITORING):
        release_transition(release=release, to=status, actor=people["rm"])
    row = ScheduledAction.objects.get(kind=ActionKind.POST_RELEASE_WATCH_ENDS)
    assert row.due_at == _ist(2026, 12, 3, 10, 0) and row.grace is None
    clock.move_to(_ist(2026, 12, 3, 10, 0))
    assert fire_due() == [ActionStatus.DONE]
    release.refresh_from_db()
    assert release.status == S.COMPLETED
    assert _recipients(release, ActionKind.POST_RELEASE_WATCH_ENDS) == {"asha"}
    assert "post-release checklist" in _body(release, ActionKind.POST_RELEASE_WATCH_ENDS)
    row.refresh_from_db()
    assert row.status == ActionStatus.DONE  # completing the release did not cancel it


def test_hotfix_back_merge_is_reminded_every_4_hours_until_confirmed(clock, people):

    start = timezone.now() + dt.timedelta(hours=1)
    hotfix = release_create(
        version="2026.11.25-hf1",
        kind=Release.Kind.HOTFIX,
        window_start=start,
        window_end=start + dt.timedelta(hours=1),
        actor=people["rm"],
        release_manager=people["rm"],
    )
    assert not hotfix.actions.exists()  # a hotfix has no freeze or Go/No-Go clock
    deployed = start + dt.timedelta(minutes=20)
    planning.plan_back_merge_reminders(hotfix, deployed_at=deployed)
    for n in range(3):
        clock.move_to(deployed + planning.BACK_MERGE_EVERY * (n + 1))
        assert fire_due() == [ActionStatus.DONE]
    assert hotfix.actions.filter(kind=ActionKind.BACK_MERGE_REMINDER).count() == 4
    assert _recipients(hotfix, ActionKind.BACK_MERGE_REMINDER) == {"asha", "kiran"}
    assert planning.stop_back_merge_reminders(hotfix) == 1
    clock.shift(dt.timedelta(days=2))
    assert fire_due() == []
    assert not hotfix.actions.filter(status__in=LIVE_STATUSES).exists()


def test_a_skipped_back_merge_reminder_keeps_the_series_going(clock, people):
    from tests.factories import ReleaseFactory

    hotfix = ReleaseFactory(kind=Release.Kind.HOTFIX, release_manager=people["rm"])
    deployed = timezone.now()
    planning.plan_back_merge_reminders(hotfix, deployed_at=deployed)
    clock.move_to(deployed + dt.timedelta(hours=11))  # down for 7 hours
    assert fire_due() == [ActionStatus.SKIPPED]
    upcoming = hotfix.actions.get(status=ActionStatus.PENDING)
    assert upcoming.due_at == deployed + dt.timedelta(hours=12)


def test_moving_a_release_supersedes_its_live_actions_and_plans_the_new_clock(
    release, clock, people
):
    clock.move_to(_ist(2026, 11, 30, 10, 0))
    fire_due()  # T-48h done: history stays
    new_start = _ist(2026, 12, 16, 10, 0)
    release_move(
        release=release,
        window_start=new_start,
        window_end=new_start + dt.timedelta(hours=2),
        actor=people["rm"],
        reason="Payments vendor outage",
    )
    release.refresh_from_db()
    assert release.schedule_version == 2
    old = release.actions.filter(schedule_version=1)
    assert set(old.values_list("kind", "status")) == {
        (ActionKind.PRE_RELEASE_DUE, ActionStatus.DONE),
        (ActionKind.FREEZE, ActionStatus.SUPERSEDED),
        (ActionKind.PRE_RELEASE_MEETING, ActionStatus.SUPERSEDED),
        (ActionKind.GO_NO_GO_REMINDER, ActionStatus.SUPERSEDED),
        (ActionKind.GO_NO_GO_SUMMARY, ActionStatus.SUPERSEDED),
    }
    new = dict(release.actions.filter(schedule_version=2).values_list("kind", "due_at"))
    assert new[ActionKind.FREEZE] == _ist(2026, 12, 14, 18, 0)
    assert new[ActionKind.PRE_RELEASE_DUE] == _ist(2026, 12, 14, 10, 0)
    # The old Monday passes quietly; the new one freezes.
    clock.move_to(_ist(2026, 11, 30, 18, 0))
    assert fire_due() == []
    clock.move_to(_ist(2026, 12, 14, 18, 0))
    assert fire_due() == [ActionStatus.SKIPPED, ActionStatus.DONE]
    release.refresh_from_db()
    assert release.status == S.FROZEN


def test_a_no_go_moved_to_the_next_train_gets_a_new_clock(release, clock, people):
    clock.move_to(_ist(2026, 12, 2, 9, 40))
    fire_due()
    release_transition(release=release, to=S.NO_GO, actor=people["rm"], reason="Payments not ready")
    nxt = _ist(2026, 12, 16, 10, 0)
    release_move(
        release=release,
        window_start=nxt,
        window_end=nxt + dt.timedelta(hours=2),
        actor=people["rm"],
        reason="Next train",
    )
    release.refresh_from_db()
    live = release.actions.filter(status__in=LIVE_STATUSES)
    assert set(live.values_list("schedule_version", flat=True)) == {2}
    assert live.count() == 5


def test_a_claimed_row_of_a_moved_release_does_nothing(release, clock, people):
    clock.move_to(_ist(2026, 11, 30, 10, 0))
    claimed = claim_due(on_claimed=lambda ids: None)
    new_start = _ist(2026, 12, 16, 10, 0)
    release_move(
        release=release,
        window_start=new_start,
        window_end=new_start + dt.timedelta(hours=2),
        actor=people["rm"],
        reason="moved",
    )
    assert [run_action(pk) for pk in claimed] == [None]
    assert ScheduledAction.objects.get(pk=claimed[0]).status == ActionStatus.SUPERSEDED
    assert not Outbox.objects.exists()


def test_cancelling_a_release_cancels_its_actions_but_not_an_incident_review(
    release, clock, people
):
    review = planning.plan_runbook_review(release=release, due_at=_ist(2026, 12, 5, 10, 0))
    release_cancel(release=release, actor=people["rm"], reason="Scope moved to the next train")
    statuses = dict(release.actions.exclude(pk=review.pk).values_list("kind", "status"))
    assert set(statuses.values()) == {ActionStatus.CANCELLED}
    review.refresh_from_db()
    assert review.status == ActionStatus.PENDING
    clock.move_to(_ist(2026, 12, 5, 10, 0))
    assert fire_due() == [ActionStatus.DONE]


def test_a_sev1_caused_by_a_release_asks_the_rms_for_a_runbook_review(release, clock):
    planning.plan_runbook_review(release=release, note="SEV-1: double bookings for 40 minutes")
    assert fire_due() == [ActionStatus.DONE]
    assert _recipients(release, ActionKind.RUNBOOK_REVIEW) == {"asha", "vikram"}
    body = _body(release, ActionKind.RUNBOOK_REVIEW)
    assert "SEV-1" in body and "double bookings" in body


def test_the_quarterly_runbook_review_is_always_planned_ahead(clock, people):
    recovery_sweep()
    recovery_sweep()  # idempotent: one row per quarter
    row = ScheduledAction.objects.get(kind=ActionKind.RUNBOOK_REVIEW, release=None)
    assert row.due_at == _ist(2027, 1, 1, 10, 0)
    clock.move_to(_ist(2027, 1, 1, 10, 0))
    assert fire_due() == [ActionStatus.DONE]
    assert set(Outbox.objects.values_list("user__username", flat=True)) == {"asha", "vikram"}
    assert "new quarter" in Outbox.objects.first().body
    assert "http://127.0.0.1:8000/" in Outbox.objects.first().body
    recovery_sweep()
    nxt = ScheduledAction.objects.get(kind=ActionKind.RUNBOOK_REVIEW, status=ActionStatus.PENDING)
    assert nxt.due_at == _ist(2027, 4, 1, 10, 0)


def test_next_quarter_start_wraps_the_year():
    assert planning.next_quarter_start(_ist(2026, 12, 31, 23, 0)) == _ist(2027, 1, 1, 10, 0)
    assert planning.next_quarter_start(_ist(2027, 1, 1, 10, 0)) == _ist(2027, 4, 1, 10, 0)
    assert planning.next_quarter_start(_ist(2027, 9, 30, 9, 0)) == _ist(2027, 10, 1, 10, 0)
