"""Scope tickets, CI status and freeze exceptions through /api/v1/: the ticket page's rules."""

import pytest

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from releasehub.audit.models import TimelineEvent
from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.releases.models import FreezeException, Release, ScopeTicket
from releasehub.releases.services.decisions import request_decide
from tests.factories import ReleaseFactory, readiness_reference_data, release_in, service, user_with

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

MERGED_CI = "All tickets tagged for release are merged and pass CI"


@pytest.fixture
def release() -> Release:
    """A release a week or more away: scope still open."""
    readiness_reference_data()
    found = release_in(7)
    checklists_create_for(found)
    return found


@pytest.fixture
def priya(db):
    readiness_reference_data()
    return user_with(Role.SQUAD_REP, "patient", username="priya")


def ticket(key="PAT-101", squad="patient", **extra) -> dict:
    return {"key": key, "title": "Faster booking", "squad": squad, **extra}


def tickets_of(release) -> list[str]:
    return list(ScopeTicket.objects.filter(release=release).values_list("key", flat=True))


def test_a_rep_adds_a_ticket_for_their_squad_named_on_the_timeline(release, priya, personal_token):
    token, api = personal_token(priya)
    body = ticket(services=["identity"], link="https://jira.example/PAT-101")
    response = api.post(
        f"/releases/{release.version}/tickets", body, run_url="https://ci.example/runs/9"
    )
    assert response.status_code == 201, response.data
    assert response.data["squad"] == "patient" and response.data["services"] == ["identity"]
    assert response.data["added_by"] == "priya" and response.data["merged"] is False
    event = TimelineEvent.objects.get(verb="scope.ticket_added")
    assert event.actor == priya and event.via == token.label
    assert event.via_url == "https://ci.example/runs/9"


def test_a_rep_cannot_add_a_ticket_for_another_squad(release, priya, personal_token):
    _, api = personal_token(priya)
    events = TimelineEvent.objects.count()
    response = api.post(f"/releases/{release.version}/tickets", ticket("DOC-1", "doctor"))
    assert response.status_code == 403
    assert "own squad" in response.data["detail"]
    assert tickets_of(release) == [] and TimelineEvent.objects.count() == events


def test_leadership_cannot_add_a_ticket(release, personal_token):
    _, api = personal_token(user_with(Role.LEADERSHIP))
    assert api.post(f"/releases/{release.version}/tickets", ticket()).status_code == 403
    assert tickets_of(release) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ticket(key="not a key"), "key"),
        (ticket(squad="no-such-squad"), "squad"),
        (ticket(services=["no-such-service"]), "services"),
        (ticket(link="not a url"), "link"),
    ],
)
def test_input_the_page_refuses_is_a_422_naming_the_field(
    release, priya, personal_token, body, field
):
    _, api = personal_token(priya)
    response = api.post(f"/releases/{release.version}/tickets", body)
    assert response.status_code == 422, response.data
    assert [e["field"] for e in response.data["errors"]] == [f"body.{field}"]
    assert tickets_of(release) == []


def test_a_status_report_keeps_the_values_it_does_not_send(release, integration_token):
    _, api = integration_token(scopes=[Scope.SCOPE_WRITE])
    assert api.post(f"/releases/{release.version}/tickets", ticket()).status_code == 201
    path = f"/releases/{release.version}/tickets/pat-101/status"
    merged = api.post(path, {"merged": True})
    assert (merged.data["merged"], merged.data["ci_passing"]) == (True, False)
    passing = api.post(path, {"ci_passing": True})
    assert (passing.data["merged"], passing.data["ci_passing"]) == (True, True)
    # Merging changes what ships (sign-offs go stale); a CI result only reports on it.
    verbs = TimelineEvent.objects.filter(verb__in=["scope.ticket_updated", "ci.ticket_status"])
    assert list(verbs.order_by("id").values_list("verb", flat=True)) == [
        "scope.ticket_updated",
        "ci.ticket_status",
    ]


def test_the_merged_and_ci_item_goes_green_when_the_pipeline_reports(release, integration_token):
    _, api = integration_token(scopes=[Scope.SCOPE_WRITE, Scope.RELEASES_READ])
    base = f"/releases/{release.version}"
    for key in ("PAT-1", "PAT-2"):
        assert api.post(f"{base}/tickets", ticket(key)).status_code == 201

    def item() -> dict:
        return next(i for i in api.get(f"{base}/checklist").data if i["text"] == MERGED_CI)

    assert item()["state"] == "open" and item()["detail"].startswith("Not merged: PAT-1, PAT-2")
    for key in ("PAT-1", "PAT-2"):
        status = api.post(f"{base}/tickets/{key}/status", {"merged": True, "ci_passing": True})
        assert status.status_code == 200
    assert item()["state"] == "done" and item()["computed"] is True


def test_a_ticket_not_in_the_release_is_a_404(release, priya, personal_token):
    _, api = personal_token(priya)
    response = api.post(f"/releases/{release.version}/tickets/PAT-999/status", {"merged": True})
    assert response.status_code == 404


def test_a_rep_reports_only_on_their_squads_tickets(release, priya, personal_token):
    _, rm_api = personal_token(user_with(Role.RELEASE_MANAGER))
    added = rm_api.post(f"/releases/{release.version}/tickets", ticket("DOC-7", "doctor"))
    assert added.status_code == 201
    _, api = personal_token(priya)
    response = api.post(f"/releases/{release.version}/tickets/DOC-7/status", {"merged": True})
    assert response.status_code == 403
    assert ScopeTicket.objects.get(key="DOC-7").merged is False


def test_an_integration_limited_to_a_service_reports_on_its_tickets_only(
    release, integration_token
):
    _, api = integration_token(scopes=[Scope.SCOPE_WRITE], services=[service("identity")])
    base = f"/releases/{release.version}/tickets"
    assert api.post(base, ticket("PAT-1", services=["identity"])).status_code == 201
    refused = api.post(base, ticket("PAT-2", services=["payments"]))
    assert refused.status_code == 403 and tickets_of(release) == ["PAT-1"]


def test_during_the_freeze_scope_needs_an_approved_exception(priya, personal_token):
    frozen = ReleaseFactory(status=Release.Status.FROZEN)
    _, api = personal_token(priya)
    base = f"/releases/{frozen.version}"
    refused = api.post(f"{base}/tickets", ticket("PAT-7"))
    assert refused.status_code == 409 and refused.data["rule"] == "scope-frozen"
    assert tickets_of(frozen) == []

    asked = api.post(
        f"{base}/freeze-exceptions",
        {"items": ["pat-7"], "reason": "Crash fix", "risk": "Low", "rollback_note": "Revert"},
    )
    assert asked.status_code == 201 and asked.data["status"] == "pending"
    assert asked.data["items"] == ["PAT-7"] and asked.data["requested_by"] == "priya"

    rm = user_with(Role.RELEASE_MANAGER)
    request_decide(request=FreezeException.objects.get(), actor=rm, approve=True, comment="ok")
    listed = api.get(f"{base}/freeze-exceptions").data
    assert [(e["status"], e["decision"]["decided_by"]) for e in listed] == [
        ("approved", rm.username)
    ]
    added = api.post(f"{base}/tickets", ticket("PAT-7"))
    assert added.status_code == 201 and added.data["freeze_exception"] == asked.data["code"]


def test_an_exception_request_the_page_would_refuse_is_a_422(priya, personal_token):
    frozen = ReleaseFactory(status=Release.Status.FROZEN)
    _, api = personal_token(priya)
    response = api.post(
        f"/releases/{frozen.version}/freeze-exceptions",
        {"items": ["not-a-key"], "reason": " ", "risk": "Low", "rollback_note": "Revert"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.data["errors"]} == {"body.items", "body.reason"}
    assert not FreezeException.objects.exists()


def test_qa_cannot_ask_for_a_freeze_exception(personal_token):
    frozen = ReleaseFactory(status=Release.Status.FROZEN)
    _, api = personal_token(user_with(Role.QA_LEAD))
    response = api.post(
        f"/releases/{frozen.version}/freeze-exceptions",
        {"items": ["PAT-1"], "reason": "x", "risk": "x", "rollback_note": "x"},
    )
    assert response.status_code == 403 and not FreezeException.objects.exists()


def test_reading_tickets_and_exceptions_takes_a_fixed_number_of_queries(
    release, priya, personal_token, django_assert_num_queries
):
    _, api = personal_token(priya)
    base = f"/releases/{release.version}"
    api.get(f"{base}/tickets")  # records the token's use once a minute: not what is counted

    def grow(n: int) -> None:
        for _ in range(n):
            api.post(f"{base}/tickets", ticket(f"PAT-{ScopeTicket.objects.count() + 1}"))
            api.post(
                f"{base}/freeze-exceptions",
                {"items": ["PAT-1"], "reason": "r", "risk": "r", "rollback_note": "r"},
            )

    for size in (1, 4):
        grow(size)
        with django_assert_num_queries(TICKET_LIST_QUERIES):
            assert api.get(f"{base}/tickets").status_code == 200
        with django_assert_num_queries(EXCEPTION_LIST_QUERIES):
            assert api.get(f"{base}/freeze-exceptions").status_code == 200


# token, release, tickets (with squad, adder, exception), their services, their apps
TICKET_LIST_QUERIES = 5
# token, release, the exceptions (with requester and decision)
EXCEPTION_LIST_QUERIES = 3
