"""QA: smoke and regression results, by the QA Lead only."""

import pytest
from django.core.exceptions import PermissionDenied

from releasehub.readiness.errors import ReadinessError
from releasehub.readiness.models import ChecklistItem, Phase, RegressionResult, SmokeResult
from releasehub.readiness.panels import smoke_state
from releasehub.readiness.services.meeting import meeting_record
from releasehub.readiness.services.qa import regression_record, smoke_record
from releasehub.releases.models import Release
from tests.factories import readiness_release

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def verifying(cast):
    return readiness_release(status=Release.Status.VERIFYING)


def _smoke(release, text):
    return ChecklistItem.objects.get(release=release, phase=Phase.SMOKE, text=text)


def test_qa_logs_pass_and_fail_with_notes(verifying, cast):
    smoke_record(item=_smoke(verifying, "Login"), actor=cast["neha"], outcome="passed")
    smoke_record(
        item=_smoke(verifying, "Booking flow"),
        actor=cast["neha"],
        outcome="failed",
        notes="500 on confirm",
    )
    state = smoke_state(verifying)
    assert [r.item.text for r in state.failures] == ["Booking flow"]
    assert state.failures[0].smoke.notes == "500 on confirm"
    assert not state.passed


def test_a_smoke_failure_needs_notes(verifying, cast):
    with pytest.raises(ReadinessError, match="Notes"):
        smoke_record(item=_smoke(verifying, "Login"), actor=cast["neha"], outcome="failed")
    assert not SmokeResult.objects.exists()


@pytest.mark.parametrize("who", ["asha", "kiran", "priya", "arjun"])
def test_only_the_qa_lead_logs_smoke(verifying, cast, who):
    with pytest.raises(PermissionDenied):
        smoke_record(item=_smoke(verifying, "Login"), actor=cast[who], outcome="passed")
    assert not SmokeResult.objects.exists()


@pytest.mark.parametrize("who", ["asha", "kiran", "priya", "arjun"])
def test_only_the_qa_lead_logs_regression(release, cast, who):
    with pytest.raises(PermissionDenied):
        regression_record(
            release=release, actor=cast[who], suite="unit", passed=1, failed=0, skipped=0
        )
    assert not RegressionResult.objects.exists()


def test_a_rerun_of_a_suite_supersedes_the_earlier_result(release, cast):
    first = regression_record(
        release=release, actor=cast["neha"], suite="e2e", passed=9, failed=1, skipped=0
    )
    second = regression_record(
        release=release,
        actor=cast["neha"],
        suite="e2e",
        passed=10,
        failed=0,
        skipped=0,
        link="https://ci.example.com/e2e/2",
    )
    assert second.supersedes == first


def test_smoke_waits_for_the_go(release, cast):
    with pytest.raises(ReadinessError, match="after Go"):
        smoke_record(item=_smoke(release, "Login"), actor=cast["neha"], outcome="passed")


def test_meeting_record_revisions_keep_attendees(release, cast):
    first = meeting_record(
        release=release,
        actor=cast["asha"],
        attendees=[cast["asha"], cast["kiran"]],
        notes="Scope ok",
        decisions="Go ahead",
    )
    second = meeting_record(
        release=release,
        actor=cast["asha"],
        attendees=[cast["asha"], cast["kiran"], cast["neha"]],
        notes="Scope ok; risks reviewed",
        decisions="Go ahead",
    )
    assert second.supersedes == first
    assert set(first.attendees.all()) == {cast["asha"], cast["kiran"]}
    with pytest.raises(PermissionDenied):
        meeting_record(
            release=release, actor=cast["kiran"], attendees=[cast["kiran"]], notes="", decisions=""
        )
