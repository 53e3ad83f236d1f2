"""Go/No-Go sign-offs: the signer is the logged-in user, holding the slot's role; rows are never
edited; a scope change after a sign-off makes it stale."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from releasehub.audit.timeline import record_event
from releasehub.readiness.errors import ReadinessError
from releasehub.readiness.models import SignOff, SquadInvolvement
from releasehub.readiness.panels import SRE_SLOT, go_no_go_state, squad_slot
from releasehub.readiness.services.signoffs import signoff_record, squad_involvement_set
from releasehub.releases.models import Release
from tests.readiness.conftest import sign, sign_all

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def _slot(state, key):
    return next(r for r in state.rows if r.slot.key == key)


def test_required_signers_are_each_squad_and_sre(release):
    labels = [r.slot.label for r in go_no_go_state(release).rows]
    assert labels == ["Admin", "Doctor", "Patient", "Shared Services", "SRE"]


def test_a_rep_signs_for_their_squad_as_themselves(release, cast):
    row = sign(release, cast["priya"])
    assert (row.actor, row.squad.slug, row.decision) == (cast["priya"], "patient", "go")
    state = go_no_go_state(release)
    assert _slot(state, row.slot).status == "go"
    assert [r.slot.label for r in state.waiting] == ["Admin", "Doctor", "Shared Services", "SRE"]


def test_rep_cannot_sign_for_another_squad(release, cast):
    doctor = squad_slot(cast["rahul"].squads[0])
    with pytest.raises(PermissionDenied):
        signoff_record(release=release, actor=cast["priya"], slot=doctor, decision="go")
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("who", ["priya", "neha", "asha", "arjun"])
def test_only_sre_signs_for_sre(release, cast, who):
    with pytest.raises(PermissionDenied):
        signoff_record(release=release, actor=cast[who], slot=SRE_SLOT, decision="go")
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("who", ["kiran", "neha", "asha"])
def test_non_reps_cannot_sign_for_a_squad(release, cast, who):
    patient = squad_slot(cast["priya"].squads[0])
    with pytest.raises(PermissionDenied):
        signoff_record(release=release, actor=cast[who], slot=patient, decision="go")


def test_no_go_needs_a_comment(release, cast):
    with pytest.raises(ReadinessError, match="comment"):
        sign(release, cast["kiran"], "no_go", comment="   ")
    assert not SignOff.objects.exists()


def test_changing_ones_mind_adds_a_sign_off_that_supersedes(release, cast):
    first = sign(release, cast["kiran"], "go")
    second = sign(release, cast["kiran"], "no_go", comment="Terraform plan not applied")
    assert second.supersedes == first
    first.refresh_from_db()
    assert first.decision == "go"  # never edited
    state = go_no_go_state(release)
    sre = _slot(state, "sre")
    assert sre.current == second and sre.status == "no_go" and len(sre.history) == 2


def test_another_rep_of_the_same_squad_supersedes_the_squads_sign_off(release, cast):
    from tests.factories import user_with

    other = user_with("squad_rep", "patient", username="pooja")
    first = sign(release, cast["priya"])
    second = signoff_record(
        release=release, actor=other, slot=squad_slot(other.squads[0]), decision="go"
    )
    assert second.supersedes == first


def test_a_scope_change_after_sign_off_makes_it_stale(release, cast):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1), tick=False):
        sign(release, cast["priya"])
    record_event(verb="scope.ticket_added", target=release, release=release, summary="PAT-9")
    state = go_no_go_state(release)
    patient = _slot(state, f"squad-{cast['priya'].squads[0].pk}")
    assert patient.status == "stale" and state.stale == [patient]
    assert "Stale sign-off from Patient" in state.blockers
    sign(release, cast["priya"])  # signing again makes it current
    assert not go_no_go_state(release).stale


def test_events_that_are_not_scope_changes_do_not_make_sign_offs_stale(release, cast):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1), tick=False):
        sign(release, cast["priya"])
    record_event(verb="release.handover", target=release, release=release, summary="x")
    assert not go_no_go_state(release).stale


def test_a_not_involved_squad_is_not_required(release, cast):
    admin = cast["sana"].squads[0]
    squad_involvement_set(
        release=release, actor=cast["asha"], squad=admin, involved=False, reason="No admin work"
    )
    state = go_no_go_state(release)
    assert "Admin" not in [r.slot.label for r in state.required]
    with pytest.raises(ReadinessError, match="not involved"):
        sign(release, cast["sana"])
    squad_involvement_set(release=release, actor=cast["asha"], squad=admin, involved=True)
    assert "Admin" in [r.slot.label for r in go_no_go_state(release).required]
    assert SquadInvolvement.objects.count() == 2


def test_only_the_rm_marks_a_squad_not_involved_and_needs_a_reason(release, cast):
    admin = cast["sana"].squads[0]
    with pytest.raises(PermissionDenied):
        squad_involvement_set(
            release=release, actor=cast["sana"], squad=admin, involved=False, reason="mine"
        )
    with pytest.raises(ReadinessError, match="reason"):
        squad_involvement_set(release=release, actor=cast["asha"], squad=admin, involved=False)
    assert not SquadInvolvement.objects.exists()


def test_all_go_when_every_required_slot_signed_go(release, cast):
    sign_all(release, cast)
    state = go_no_go_state(release)
    assert state.all_go and not state.waiting and not state.no_go


def test_sign_offs_close_once_release_day_moves_on(release, cast):
    Release.objects.filter(pk=release.pk).update(status=Release.Status.DEPLOYING)
    with pytest.raises(ReadinessError, match="closed"):
        sign(release, cast["kiran"])


def test_time_left_until_go_no_go_counts_down(cast):
    from tests.factories import readiness_release

    release = readiness_release()
    gng_at = release.clock.go_no_go
    state = go_no_go_state(release, now=gng_at - dt.timedelta(hours=26, minutes=1, seconds=5))
    assert state.countdown == "1d 02:01:05"
    assert go_no_go_state(release, now=gng_at + dt.timedelta(minutes=5)).countdown == "-00:05:00"
    assert gng_at.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).time() == dt.time(
        9, 30
    )


def test_resubmitting_the_same_sign_off_writes_nothing_new(release, cast):
    first = sign(release, cast["kiran"])
    assert sign(release, cast["kiran"]) == first
    assert SignOff.objects.count() == 1


def test_resubmitting_after_a_scope_change_refreshes_the_sign_off(release, cast):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=1), tick=False):
        first = sign(release, cast["kiran"])
    record_event(verb="scope.ticket_added", target=release, release=release, summary="x")
    second = sign(release, cast["kiran"])
    assert second.supersedes == first
