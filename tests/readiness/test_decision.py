"""The RM's Go/No-Go decision: Go only when ready unless overridden with a reason."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from releasehub.audit.models import InterventionKind, ManualIntervention, TimelineEvent
from releasehub.readiness.errors import ReadinessError
from releasehub.readiness.models import GoNoGoDecision
from releasehub.readiness.panels import go_no_go_state
from releasehub.readiness.services.decision import NotReady, go_no_go_decide
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release, Train
from tests.factories import readiness_release
from tests.readiness.conftest import complete_pre_release, sign, sign_all

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
S = Release.Status


def decide(release, cast, decision="go", **kwargs):
    return go_no_go_decide(release=release, actor=cast["asha"], decision=decision, **kwargs)


def test_go_when_every_sign_off_is_a_current_go_and_the_checklist_is_complete(release, cast):
    sign_all(release, cast)
    complete_pre_release(release, cast)
    row = decide(release, cast, reason="All green")
    release.refresh_from_db()
    assert release.status == S.GO
    assert row.overridden is False
    assert not ManualIntervention.objects.exists()
    assert TimelineEvent.objects.filter(release=release, verb="readiness.decision_go").exists()


def test_a_no_go_sign_off_blocks_go(release, cast):
    sign_all(release, cast)
    complete_pre_release(release, cast)
    sign(release, cast["kiran"], "no_go", comment="Migration not rehearsed")
    with pytest.raises(NotReady, match="No-Go from SRE"):
        decide(release, cast)
    release.refresh_from_db()
    assert release.status == S.PLANNED
    assert not GoNoGoDecision.objects.exists()


def test_an_incomplete_checklist_blocks_go(release, cast):
    sign_all(release, cast)
    with pytest.raises(NotReady, match="Pre-release item open"):
        decide(release, cast)


def test_go_override_with_a_reason_is_a_manual_intervention(release, cast):
    sign(release, cast["kiran"], "no_go", comment="Migration not rehearsed")
    row = decide(release, cast, override_reason="Migration is additive; CTO accepted the risk")
    release.refresh_from_db()
    assert release.status == S.GO and row.overridden
    intervention = ManualIntervention.objects.get()
    assert intervention.kind == InterventionKind.GO_OVERRIDE
    assert intervention.actor == cast["asha"] and "CTO" in intervention.reason
    assert TimelineEvent.objects.filter(release=release, verb="readiness.override").exists()


def test_only_the_rm_decides(release, cast):
    for who in ["priya", "kiran", "neha", "arjun"]:
        with pytest.raises(PermissionDenied):
            go_no_go_decide(release=release, actor=cast[who], decision="go")
    assert not GoNoGoDecision.objects.exists()


def test_no_go_needs_a_reason_and_a_next_step(release, cast):
    with pytest.raises(ReadinessError, match="reason"):
        decide(release, cast, "no_go", then="cancel")
    with pytest.raises(ReadinessError, match="next train or is cancelled"):
        decide(release, cast, "no_go", reason="Payments not ready")
    assert not GoNoGoDecision.objects.exists()


def test_no_go_then_cancel(release, cast):
    decide(release, cast, "no_go", reason="Payments not ready", then="cancel")
    release.refresh_from_db()
    assert release.status == S.CANCELLED


def test_no_go_moves_the_release_and_its_clock_to_the_next_train(cast):
    day = (timezone.now() + dt.timedelta(days=10)).astimezone(IST).date()
    day += dt.timedelta(days=(2 - day.weekday()) % 7)
    train = Train.objects.create(name="Main", anchor_date=day, interval_days=14)
    start, end = default_window(day)
    release = readiness_release(train=train, train_date=day, window_start=start, window_end=end)
    old_start, old_gng = release.window_start, release.clock.go_no_go
    sign_all(release, cast)
    decide(release, cast, "no_go", reason="Payments not ready", then="move")
    release.refresh_from_db()
    assert release.status == S.PLANNED
    assert release.window_start == old_start + dt.timedelta(days=14)
    assert release.clock.go_no_go == old_gng + dt.timedelta(days=14)
    assert release.schedule_version == 2
    # A No-Go starts a new round: the earlier sign-offs no longer count.
    state = go_no_go_state(release)
    assert len(state.stale) == 5 and not state.go


def test_a_second_go_is_refused(release, cast):
    decide(release, cast, override_reason="forced")
    with pytest.raises(ReadinessError, match="no Go now"):
        decide(release, cast, override_reason="again")
    assert GoNoGoDecision.objects.count() == 1


def test_no_go_after_go_supersedes_the_decision(release, cast):
    go = decide(release, cast, override_reason="forced")
    no_go = decide(release, cast, "no_go", reason="SRE found a problem", then="cancel")
    assert no_go.supersedes == go
    assert go_no_go_state(release).decision == no_go
