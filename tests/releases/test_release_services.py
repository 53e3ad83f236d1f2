import datetime as dt

import pytest
import time_machine

from releasehub.audit.models import TimelineEvent
from releasehub.core.errors import ServiceError
from releasehub.releases.clock import IST, UTC, default_window
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import (
    TransitionError,
    release_cancel,
    release_create,
    release_freeze,
    release_handover,
    release_move,
    release_transition,
    train_fill,
    train_next_occurrences,
    version_suggest,
)
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import TrainFactory, rm

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

# Friday 27 Nov 2026, 12:00 IST: the worked example's release (Wed 2 Dec) is five days away.
NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=IST)
DEC_2 = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _create(version="2026.12.02", day=DEC_2, **kwargs) -> Release:
    start, end = default_window(day)
    return release_create(version=version, window_start=start, window_end=end, actor=rm(), **kwargs)


def test_the_worked_example_clock_of_a_created_release():
    release = _create()
    assert release.window_start == dt.datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    assert release.freeze_at == dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    clock = release.clock
    assert clock.pre_release_due == dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert clock.pre_release_meeting == dt.datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    assert clock.go_no_go == dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def test_a_duplicate_version_is_refused_and_writes_nothing():
    _create()
    before = (Release.objects.count(), TimelineEvent.objects.count())
    with pytest.raises(ServiceError, match="already exists"):
        _create(day=dt.date(2026, 12, 16))
    assert (Release.objects.count(), TimelineEvent.objects.count()) == before


def test_a_window_ending_before_it_starts_is_refused():
    start, _ = default_window(DEC_2)
    with pytest.raises(ServiceError, match="end after"):
        release_create(
            version="x", window_start=start, window_end=start - dt.timedelta(hours=1), actor=rm()
        )
    assert not Release.objects.exists()


def test_moving_a_release_moves_its_whole_clock_and_bumps_the_schedule_version():
    release = _create()
    old = release.clock.milestones()
    new_start, new_end = default_window(dt.date(2026, 12, 9))
    release_move(
        release=release,
        window_start=new_start,
        window_end=new_end,
        actor=rm(),
        reason="Payments late",
    )
    release.refresh_from_db()
    assert release.schedule_version == 2
    for before, after in zip(old, release.clock.milestones(), strict=True):
        assert after.at - before.at == dt.timedelta(days=7)
    assert release.freeze_at == dt.datetime(2026, 12, 7, 18, 0, tzinfo=IST)
    freeze = ScheduledAction.objects.filter(release=release, kind=ActionKind.FREEZE)
    assert freeze.get(status=ActionStatus.PENDING).due_at == release.freeze_at
    assert freeze.get(schedule_version=1).status == ActionStatus.SUPERSEDED
    event = TimelineEvent.objects.get(verb="release.moved")
    assert event.reason == "Payments late"


def test_a_frozen_release_moved_past_its_freeze_opens_scope_again():
    release = _create()
    release_freeze(release=release)
    start, end = default_window(dt.date(2026, 12, 16))
    release_move(release=release, window_start=start, window_end=end, actor=rm(), reason="Late")
    release.refresh_from_db()
    assert release.status == Release.Status.PLANNED
    assert not release.is_frozen(NOW)


@pytest.mark.parametrize("reason", ["", "   "])
def test_move_needs_a_reason(reason):
    release = _create()
    start, end = default_window(dt.date(2026, 12, 9))
    with pytest.raises(ServiceError):
        release_move(release=release, window_start=start, window_end=end, actor=rm(), reason=reason)
    release.refresh_from_db()
    assert release.schedule_version == 1


def test_move_into_the_past_is_refused():
    release = _create()
    start, end = default_window(dt.date(2026, 11, 25))
    with pytest.raises(ServiceError, match="future"):
        release_move(release=release, window_start=start, window_end=end, actor=rm(), reason="x")


def test_a_deploying_release_cannot_move():
    release = _create()
    release_transition(release=release, to=Release.Status.DEPLOYING, actor=None)
    start, end = default_window(dt.date(2026, 12, 9))
    with pytest.raises(TransitionError):
        release_move(release=release, window_start=start, window_end=end, actor=rm(), reason="x")


def test_the_freeze_is_a_status_change_by_the_system_on_the_timeline():
    release = _create()
    release_freeze(release=release)
    release.refresh_from_db()
    assert release.status == Release.Status.FROZEN
    event = TimelineEvent.objects.filter(verb="release.status").first()
    assert event.automatic and event.after == {"status": "frozen"}


def test_the_train_keeps_the_next_four_releases_planned():
    train = TrainFactory(anchor_date=DEC_2)
    created = train_fill(train=train)
    assert [r.train_date for r in created] == [
        dt.date(2026, 12, 2),
        dt.date(2026, 12, 16),
        dt.date(2026, 12, 30),
        dt.date(2027, 1, 13),
    ]
    assert created[0].version == "2026.12.02"
    assert train_fill(train=train) == []


def test_skipping_an_occurrence_cancels_it_and_the_train_plans_one_more():
    train = TrainFactory(anchor_date=DEC_2)
    first, *_ = train_fill(train=train)
    release_cancel(release=first, actor=rm(), reason="Company offsite", skip=True)
    first.refresh_from_db()
    assert first.status == Release.Status.CANCELLED
    planned = Release.objects.filter(train=train, status=Release.Status.PLANNED)
    assert planned.count() == 4
    assert planned.order_by("-train_date").first().train_date == dt.date(2027, 1, 27)
    # The skipped occurrence is not offered again.
    assert train_next_occurrences(train=train)[0] == dt.date(2027, 2, 10)
    assert ScheduledAction.objects.filter(release=first, status=ActionStatus.PENDING).count() == 0
    event = TimelineEvent.objects.filter(verb="release.status", release=first).first()
    assert event.reason == "Skipped this train occurrence: Company offsite"


def test_cancel_needs_a_reason():
    release = _create()
    with pytest.raises(ServiceError):
        release_cancel(release=release, actor=rm(), reason=" ")
    release.refresh_from_db()
    assert release.status == Release.Status.PLANNED


def test_suggested_version_comes_from_the_train_date():
    assert version_suggest(day=DEC_2) == "2026.12.02"
    _create(version="2026.12.03-hf1", kind=Release.Kind.HOTFIX, day=dt.date(2026, 12, 3))
    assert version_suggest(day=dt.date(2026, 12, 3), kind=Release.Kind.HOTFIX) == "2026.12.03-hf2"


def test_handover_to_another_rota_member_is_on_the_timeline():
    from releasehub.accounts.models import RotaMember

    first, second = rm(username="asha"), rm(username="vikram")
    RotaMember.objects.create(user=first, position=1)
    RotaMember.objects.create(user=second, position=2)
    release = _create(release_manager=first)
    release_handover(release=release, to=second, actor=first, reason="Leave")
    release.refresh_from_db()
    assert release.release_manager == second
    assert TimelineEvent.objects.filter(verb="release.handover", reason="Leave").exists()
    with pytest.raises(ServiceError):
        release_handover(release=release, to=rm(username="stranger"), actor=first)
