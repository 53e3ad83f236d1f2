import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.comms.models import MessageKind, MessageTemplate
from releasehub.comms.placeholders import load
from releasehub.comms.placeholders import render as render_message
from releasehub.core.errors import ServiceError
from releasehub.releases.clock import IST, default_window
from releasehub.releases.forms import HotfixForm
from releasehub.releases.models import (
    FollowUp,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    Release,
    ScopeTicket,
)
from releasehub.releases.services.decisions import AlreadyDecided, request_decide
from releasehub.releases.services.freeze import ScopeFrozen, freeze_exception_request
from releasehub.releases.services.hotfix import hotfix_confirm, hotfix_create, last_production_tag
from releasehub.releases.services.lifecycle import (
    TransitionError,
    release_freeze,
    release_transition,
)
from releasehub.releases.services.scope import ticket_add, ticket_update
from tests.factories import (
    ReleaseFactory,
    ScopeTicketFactory,
    app,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

FRIDAY = dt.datetime(2026, 11, 27, 12, 0, tzinfo=IST)
MONDAY_EVENING = dt.datetime(2026, 11, 30, 18, 0, tzinfo=IST)


@pytest.fixture
def release():
    start, end = default_window(dt.date(2026, 12, 2))
    return ReleaseFactory(version="2026.12.02", window_start=start, window_end=end)


@pytest.fixture
def rep():
    return user_with(Role.SQUAD_REP, "patient")


def _add(release, actor, key="PAT-1"):
    return ticket_add(release=release, actor=actor, key=key, title="Change", squad=squad("patient"))


def _request(release, actor, items="PAT-9"):
    return freeze_exception_request(
        release=release,
        actor=actor,
        items=items,
        reason="Fixes a crash",
        risk="Low",
        rollback_note="Revert the commit",
    )


def test_scope_is_open_before_the_freeze_and_on_the_timeline(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        ticket = _add(release, rep)
    assert ticket.freeze_exception is None
    assert TimelineEvent.objects.filter(verb="scope.ticket_added", actor=rep).exists()


def test_after_monday_1800_ist_new_scope_is_refused_even_before_the_engine_froze_it(release, rep):
    with time_machine.travel(MONDAY_EVENING, tick=False):
        assert release.status == Release.Status.PLANNED
        with pytest.raises(ScopeFrozen, match="freeze exception"):
            _add(release, rep)
    assert not ScopeTicket.objects.exists()


def test_one_minute_before_the_freeze_scope_is_still_open(release, rep):
    with time_machine.travel(MONDAY_EVENING - dt.timedelta(minutes=1), tick=False):
        _add(release, rep)


def test_an_approved_exception_lets_its_tickets_in_and_no_others(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        release_freeze(release=release)  # the test helper: the engine does this on Monday
        exception = _request(release, rep, items="pat-9, PAT-10")
        with pytest.raises(ScopeFrozen):
            _add(release, rep, key="PAT-9")  # pending is not approved
        request_decide(request=exception, actor=rm(), approve=True, comment="OK")
        ticket = _add(release, rep, key="PAT-9")
        assert ticket.freeze_exception == exception
        with pytest.raises(ScopeFrozen):
            _add(release, rep, key="PAT-11")
    assert exception.keys == ["PAT-9", "PAT-10"]


def test_a_rejected_exception_covers_nothing(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        release_freeze(release=release)
        exception = _request(release, rep)
        request_decide(request=exception, actor=rm(), approve=False, comment="Too risky")
        with pytest.raises(ScopeFrozen):
            _add(release, rep, key="PAT-9")


def test_merging_during_the_freeze_is_a_change_but_a_ci_result_is_not(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        ticket = ScopeTicketFactory(release=release, merged=False, ci_passing=False)
        release_freeze(release=release)
        ticket_update(ticket=ticket, actor=rep, merged=False, ci_passing=True)
        with pytest.raises(ScopeFrozen):
            ticket_update(ticket=ticket, actor=rep, merged=True, ci_passing=True)
    ticket.refresh_from_db()
    assert (ticket.merged, ticket.ci_passing) == (False, True)


def test_nobody_decides_on_their_own_exception(release):
    manager = rm()
    with time_machine.travel(FRIDAY, tick=False):
        exception = _request(release, manager)
        with pytest.raises(PermissionDenied):
            request_decide(request=exception, actor=manager, approve=True, comment="me")
    assert not FreezeExceptionDecision.objects.exists()


def test_a_decision_needs_a_comment(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        exception = _request(release, rep)
        with pytest.raises(ServiceError):
            request_decide(request=exception, actor=rm(), approve=True, comment="  ")
    assert not FreezeExceptionDecision.objects.exists()


def test_a_second_decision_is_refused_and_the_first_stands(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        exception = _request(release, rep)
        request_decide(request=exception, actor=rm(), approve=True, comment="yes")
        with pytest.raises(AlreadyDecided):
            request_decide(request=exception, actor=rm(), approve=False, comment="no")
    decision = FreezeExceptionDecision.objects.get()
    assert decision.decision == "approved"
    assert TimelineEvent.objects.filter(verb__startswith="freeze.exception_a").count() == 1


def test_an_empty_exception_request_is_refused(release, rep):
    with pytest.raises(ServiceError):
        freeze_exception_request(
            release=release, actor=rep, items="PAT-1", reason=" ", risk="r", rollback_note="n"
        )


def test_decisions_and_requests_are_append_only_in_the_database(release, rep):
    with time_machine.travel(FRIDAY, tick=False):
        exception = _request(release, rep)
        request_decide(request=exception, actor=rm(), approve=True, comment="yes")
    with pytest.raises(DatabaseError), transaction.atomic():
        FreezeExceptionDecision.objects.update(decision="rejected")
    with pytest.raises(DatabaseError), transaction.atomic():
        type(exception).objects.filter(pk=exception.pk).update(reason="forged")


def _hotfix(actor, **extra):
    start = FRIDAY + dt.timedelta(hours=3)
    return hotfix_create(
        actor=actor,
        version="2026.11.27-hf1",
        window_start=start,
        window_end=start + dt.timedelta(hours=1),
        production_tag="2026.11.18",
        problem="Double booking",
        incident_url="https://incidents.example.com/INC-1",
        branch="hotfix/double-booking",
        risk_assessment="Low",
        tests_run="Booking tests",
        tests_result="passed",
        supervising_sre=user_with(Role.SRE),
        **extra,
    )


def test_a_hotfix_cannot_proceed_before_an_rm_other_than_the_requester_approves():
    requester, approver = rm(), rm()
    with time_machine.travel(FRIDAY, tick=False):
        hotfix = _hotfix(requester)
        release = hotfix.release
        assert release.kind == Release.Kind.HOTFIX and release.freeze_at is None
        with pytest.raises(TransitionError, match="approval"):
            release_transition(release=release, to=Release.Status.DEPLOYING, actor=requester)
        with pytest.raises(PermissionDenied):
            request_decide(request=hotfix, actor=requester, approve=True, comment="mine")
        request_decide(request=hotfix, actor=approver, approve=True, comment="Go")
        release_transition(release=release, to=Release.Status.DEPLOYING, actor=approver)
        with pytest.raises(ServiceError, match="after the hotfix is deployed"):
            hotfix_confirm(hotfix=hotfix, actor=approver, kind=FollowUp.BACK_MERGE)
        release_transition(release=release, to=Release.Status.VERIFYING, actor=approver)
        hotfix_confirm(hotfix=hotfix, actor=approver, kind=FollowUp.BACK_MERGE, note="PR 88")
        with pytest.raises(AlreadyDecided):
            hotfix_confirm(hotfix=hotfix, actor=requester, kind=FollowUp.BACK_MERGE)
    back_merge = hotfix.follow_ups.get()
    assert (back_merge.confirmed_by, back_merge.note) == (approver, "PR 88")


def test_a_rejected_hotfix_is_cancelled_with_the_comment():
    with time_machine.travel(FRIDAY, tick=False):
        hotfix = _hotfix(user_with(Role.SQUAD_REP, "doctor"))
        request_decide(request=hotfix, actor=rm(), approve=False, comment="Roll back instead")
    hotfix.release.refresh_from_db()
    assert hotfix.release.status == Release.Status.CANCELLED
    assert HotfixApproval.objects.get().decision == "rejected"


def test_a_hotfix_is_decided_once_with_a_comment_like_a_freeze_exception():
    with time_machine.travel(FRIDAY, tick=False):
        hotfix = _hotfix(user_with(Role.SQUAD_REP, "doctor"))
        with pytest.raises(ServiceError, match="comment"):
            request_decide(request=hotfix, actor=rm(), approve=True, comment=" ")
        request_decide(request=hotfix, actor=rm(), approve=True, comment="Go")
        with pytest.raises(AlreadyDecided, match="hotfix has already been decided"):
            request_decide(request=hotfix, actor=rm(), approve=False, comment="No")
    assert HotfixApproval.objects.get().approved
    decided = TimelineEvent.objects.filter(verb__in=["hotfix.approved", "hotfix.rejected"])
    assert decided.count() == 1


def test_the_last_completed_release_is_the_default_production_tag():
    ReleaseFactory(version="2026.11.04", status="completed", completed_at=FRIDAY - dt.timedelta(20))
    ReleaseFactory(version="2026.11.18", status="completed", completed_at=FRIDAY - dt.timedelta(6))
    ReleaseFactory(version="2026.12.02")
    assert last_production_tag() == "2026.11.18"


# The affected services and apps of a hotfix ---------------------------------------------------


def _hotfix_post(sre, **changes) -> dict:
    start = FRIDAY + dt.timedelta(hours=3)
    data = {
        "version": "2026.11.27-hf1",
        "production_tag": "2026.11.18",
        "branch": "hotfix/payment-retries",
        "problem": "Card payments time out",
        "incident_url": "https://incidents.example.com/INC-7",
        "risk_assessment": "Low",
        "tests_run": "Payments suite",
        "tests_result": "passed",
        "supervising_sre": str(sre.pk),
        "window_start": f"{start:%Y-%m-%dT%H:%M}",
        "window_end": f"{start + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "components": ["service:payments", "app:patient-web"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_hotfix_form_refuses_a_request_that_names_no_affected_service_or_app(client):
    sre = user_with(Role.SRE)
    with time_machine.travel(FRIDAY, tick=False):
        client.force_login(rm())  # at FRIDAY: a session idle since the test's start has expired
        form = HotfixForm(_hotfix_post(sre, components=None))
        assert not form.is_valid()
        assert "components" in form.errors
        assert not HotfixForm(_hotfix_post(sre, components=["service:nosuch"])).is_valid()
        answer = client.post(reverse("releases:hotfix_create"), _hotfix_post(sre, components=None))
    assert answer.status_code == 400
    assert "Choose the services or apps the hotfix affects" in answer.content.decode()
    assert not Release.objects.exists()


def test_a_requested_hotfix_records_and_shows_its_affected_services_and_apps(client):
    with time_machine.travel(FRIDAY, tick=False):
        client.force_login(rm())
        answer = client.post(reverse("releases:hotfix_create"), _hotfix_post(user_with(Role.SRE)))
        hotfix = Hotfix.objects.get()
        page = client.get(reverse("pages:release", args=[hotfix.release.code])).content.decode()
    assert answer.status_code == 302
    assert list(hotfix.services.all()) == [service("payments")]
    assert list(hotfix.apps.all()) == [app("patient-web")]
    event = TimelineEvent.objects.get(verb="hotfix.requested")
    assert "Payments and Patient web" in event.summary
    assert event.after["components"] == ["payments", "patient-web"]
    section = page[page.index('id="hotfix"') :]
    assert "Affects" in section and "Payments and Patient web" in section


def test_the_hotfix_notice_names_the_affected_services_and_apps():
    with time_machine.travel(FRIDAY, tick=False):
        hotfix = _hotfix(
            rm(), components=[app("patient-web"), service("payments"), service("identity")]
        )
    template = MessageTemplate.objects.get(kind=MessageKind.HOTFIX)
    _, body = render_message(template, load(hotfix.release))
    assert "Expect brief impact on Identity, Payments and Patient web." in body
    assert "the affected service" not in body
