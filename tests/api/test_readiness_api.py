"""Sign-offs, checklist items and smoke results through /api/v1/: the Go/No-Go page's rules."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from releasehub.api.scopes import Scope
from releasehub.api.v1 import api as ninja_api
from releasehub.audit.models import TimelineEvent
from releasehub.readiness.models import ChecklistItem, Phase, SignOff, SmokeResult
from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.releases.models import Release
from releasehub.releases.services.scope import ticket_add
from tests.factories import readiness_cast, release_in, rollout_release, squad

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SRE_ITEM = "SRE verified infrastructure changes (Terraform, database migrations)"
MERGED_CI = "All tickets tagged for release are merged and pass CI"


@pytest.fixture
def cast(db):
    return readiness_cast()


@pytest.fixture
def release(cast) -> Release:
    """Planned, a week or more away: sign-offs open, scope open."""
    found = release_in(7)
    checklists_create_for(found)
    return found


@pytest.fixture
def deployed(cast) -> Release:
    """At Go: the smoke checklist takes results."""
    return rollout_release(["identity"], [])


def item(release, text=None, phase=None) -> ChecklistItem:
    found = ChecklistItem.objects.filter(release=release)
    return (found.filter(text=text) if text else found.filter(phase=phase)).first()


def nothing_written(before: int) -> bool:
    return TimelineEvent.objects.count() == before and not SignOff.objects.exists()


# Sign-offs ---------------------------------------------------------------------------------


def test_an_integration_never_signs_whatever_its_scopes(release, integration_token):
    _, api = integration_token()  # every scope an integration may hold
    before = TimelineEvent.objects.count()
    response = api.post(f"/releases/{release.version}/signoffs", {"decision": "go"})
    assert response.status_code == 403
    assert nothing_written(before)


def test_a_personal_token_signs_as_its_person_for_their_slot(release, cast, personal_token):
    token, api = personal_token(cast["priya"], scopes=[Scope.SIGNOFFS_WRITE])
    response = api.post(
        f"/releases/{release.version}/signoffs",
        {"decision": "go", "comment": "Patient ready"},
        run_url="https://ci.example/runs/3",
    )
    assert response.status_code == 201, response.data
    assert response.data["slot"] == "squad:patient" and response.data["by"] == "priya"
    row = SignOff.objects.get()
    assert row.actor == cast["priya"] and row.squad == squad("patient")
    event = TimelineEvent.objects.get(verb="readiness.signoff")
    assert event.actor == cast["priya"] and event.via == token.label


def test_a_rep_cannot_sign_for_a_slot_they_do_not_hold(release, cast, personal_token):
    _, api = personal_token(cast["priya"])
    before = TimelineEvent.objects.count()
    for slot in ("sre", "squad:doctor"):
        response = api.post(
            f"/releases/{release.version}/signoffs", {"slot": slot, "decision": "go"}
        )
        assert response.status_code == 403, slot
    assert nothing_written(before)


@pytest.mark.parametrize("who", ["asha", "neha", "arjun"])
def test_those_who_do_not_sign_are_refused(release, cast, personal_token, who):
    _, api = personal_token(cast[who])
    before = TimelineEvent.objects.count()
    assert api.post(f"/releases/{release.version}/signoffs", {"decision": "go"}).status_code == 403
    assert nothing_written(before)


def test_the_api_offers_no_go_no_go_decision():
    # The RM decides on the page, never through a token (routers/readiness.py says why).
    paths = ninja_api.get_openapi_schema()["paths"]
    assert not [p for p in paths if "decision" in p or "go-no-go" in p]


def test_a_no_go_needs_a_comment_and_a_bad_decision_is_a_422(release, cast, personal_token):
    _, api = personal_token(cast["kiran"])
    base = f"/releases/{release.version}/signoffs"
    refused = api.post(base, {"decision": "no_go"})
    assert refused.status_code == 409 and refused.data["rule"] == "readiness"
    invalid = api.post(base, {"decision": "maybe"})
    assert invalid.status_code == 422
    assert [e["field"] for e in invalid.data["errors"]] == ["body.decision"]
    assert not SignOff.objects.exists()


def test_the_read_shows_each_slot_and_flags_a_sign_off_stale_after_a_scope_change(
    release, cast, personal_token
):
    _, api = personal_token(cast["priya"])
    assert api.post(f"/releases/{release.version}/signoffs", {"decision": "go"}).status_code == 201

    def patient() -> dict:
        slots = api.get(f"/releases/{release.version}/signoffs").data["slots"]
        return next(s for s in slots if s["slot"] == "squad:patient")

    assert (patient()["status"], patient()["current"]["by"]) == ("go", "priya")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        ticket_add(
            release=release, actor=cast["asha"], key="PAT-5", title="Late", squad=squad("patient")
        )
        read = patient()
    assert read["status"] == "stale" and read["stale"] is True


# Checklists --------------------------------------------------------------------------------


def test_the_items_role_updates_it_and_others_are_refused(release, cast, personal_token):
    sre_item = item(release, SRE_ITEM)
    path = f"/releases/{release.version}/checklist/{sre_item.code}/updates"
    _, qa = personal_token(cast["neha"])
    assert qa.post(path, {"state": "done"}).status_code == 403
    _, sre = personal_token(cast["kiran"])
    done = sre.post(path, {"state": "done", "evidence": "terraform plan #12"})
    assert done.status_code == 201, done.data
    assert (done.data["state"], done.data["updated_by"]) == ("done", "kiran")
    listed = sre.get(f"/releases/{release.version}/checklist").data
    assert next(i for i in listed if i["code"] == str(sre_item.code))["evidence"] == (
        "terraform plan #12"
    )


def test_computed_and_smoke_items_are_not_ticked(release, cast, personal_token):
    _, rm = personal_token(cast["asha"])
    for text_or_phase in ({"text": MERGED_CI}, {"phase": Phase.SMOKE}):
        found = item(release, **text_or_phase)
        response = rm.post(
            f"/releases/{release.version}/checklist/{found.code}/updates", {"state": "done"}
        )
        assert response.status_code == 409 and response.data["rule"] == "readiness"


def test_a_bad_state_is_a_422_and_an_unknown_item_a_404(release, cast, personal_token):
    _, sre = personal_token(cast["kiran"])
    base = f"/releases/{release.version}/checklist"
    bad = sre.post(f"{base}/{item(release, SRE_ITEM).code}/updates", {"state": "finished"})
    assert bad.status_code == 422
    other = release_in(14)
    checklists_create_for(other)
    another_releases = item(other, SRE_ITEM).code
    assert sre.post(f"{base}/{another_releases}/updates", {"state": "done"}).status_code == 404


# Smoke -------------------------------------------------------------------------------------


def test_a_qa_pipeline_records_smoke_results(deployed, cast, integration_token, personal_token):
    _, api = integration_token(scopes=[Scope.SMOKE_WRITE, Scope.RELEASES_READ])
    smoke = item(deployed, phase=Phase.SMOKE)
    path = f"/releases/{deployed.version}/smoke/{smoke.code}"
    assert api.post(path, {"outcome": "failed"}).status_code == 409  # a failure needs notes
    failed = api.post(path, {"outcome": "failed", "notes": "500 on /book"})
    assert failed.status_code == 201 and failed.data["outcome"] == "failed"
    read = api.get(f"/releases/{deployed.version}/smoke").data
    assert read["open_for_results"] is True and read["passed"] is False
    assert [(i["text"], i["outcome"]) for i in read["items"] if i["outcome"]] == [
        (smoke.text, "failed")
    ]
    _, sre = personal_token(cast["kiran"])
    assert sre.post(path, {"outcome": "passed"}).status_code == 403
    assert SmokeResult.objects.count() == 1


def test_smoke_waits_for_go(release, cast, personal_token):
    _, qa = personal_token(cast["neha"])
    smoke = item(release, phase=Phase.SMOKE)
    response = qa.post(f"/releases/{release.version}/smoke/{smoke.code}", {"outcome": "passed"})
    assert response.status_code == 409 and "smoke runs after Go" in response.data["detail"]
    not_smoke = item(release, SRE_ITEM)
    missing = qa.post(f"/releases/{release.version}/smoke/{not_smoke.code}", {"outcome": "passed"})
    assert missing.status_code == 404 and not SmokeResult.objects.exists()


# Reads take a fixed number of queries ------------------------------------------------------


# Each: the token and the release, then the panel's own fixed reads. Smoke: items, updates,
# results. Checklist: the same, plus the three computed items' reads (tickets, regression,
# services and apps changed, rollback plans). Sign-offs: squads, sign-offs, involvement,
# decisions, the last scope change, and the pre-release checklist as above.
READ_QUERIES = {"/signoffs": 15, "/checklist": 10, "/smoke": 5}


@pytest.mark.parametrize("path", list(READ_QUERIES))
def test_reads_take_a_fixed_number_of_queries(
    deployed, cast, personal_token, django_assert_num_queries, path
):
    _, api = personal_token(cast["arjun"])
    url = f"/releases/{deployed.version}{path}"
    api.get(url)  # the token's use is recorded once a minute: not what is counted
    smoke_items = ChecklistItem.objects.filter(release=deployed, phase=Phase.SMOKE)
    sre_item = item(deployed, SRE_ITEM)
    qa, sre = personal_token(cast["neha"])[1], personal_token(cast["kiran"])[1]
    for signer, smoke in zip(("priya", "rahul", "kiran"), smoke_items, strict=True):
        base = f"/releases/{deployed.version}"
        signed = personal_token(cast[signer])[1].post(f"{base}/signoffs", {"decision": "go"})
        logged = qa.post(f"{base}/smoke/{smoke.code}", {"outcome": "passed"})
        ticked = sre.post(f"{base}/checklist/{sre_item.code}/updates", {"state": "done"})
        assert [r.status_code for r in (signed, logged, ticked)] == [201] * 3
        with django_assert_num_queries(READ_QUERIES[path]):
            assert api.get(url).status_code == 200
