"""Scope tickets and freeze exceptions: the code host and CI report merges and CI results here,
squads add tickets and ask for exceptions. Each write is the ticket page's own action
(releases/scope_views.py): the same predicate, the same form, the same service."""

import datetime as dt
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from releasehub.api.access import check_component, need, writing
from releasehub.api.checks import actor, cleaned, release_for
from releasehub.api.schemas import PROBLEMS, WRITE_PROBLEMS
from releasehub.api.scopes import Scope
from releasehub.releases import forms
from releasehub.releases.access import (
    EXCEPTION_REFUSAL,
    adds_for_squad,
    adds_scope,
    requests_exception,
)
from releasehub.releases.models import FreezeException, Release, ScopeTicket
from releasehub.releases.services import freeze, scope

router = Router(tags=["scope"])


class TicketIn(Schema):
    key: str
    title: str
    squad: str  # the squad's slug: patient, doctor, admin, shared
    services: list[str] = []  # service slugs
    apps: list[str] = []  # frontend app slugs
    link: str = ""
    merged: bool = False
    ci_passing: bool = False


class TicketStatusIn(Schema):
    """What the code host or CI knows; a value not sent keeps the ticket's."""

    merged: bool | None = None
    ci_passing: bool | None = None


class TicketOut(Schema):
    code: UUID
    key: str
    title: str
    squad: str
    services: list[str]
    apps: list[str]
    link: str
    merged: bool
    ci_passing: bool
    freeze_exception: UUID | None
    added_by: str
    created_at: dt.datetime


class ExceptionIn(Schema):
    items: list[str]  # ticket keys
    reason: str
    risk: str
    rollback_note: str


class RMDecisionOut(Schema):
    decision: str
    comment: str
    decided_by: str
    decided_at: dt.datetime


class ExceptionOut(Schema):
    code: UUID
    items: list[str]
    reason: str
    risk: str
    rollback_note: str
    requested_by: str
    requested_at: dt.datetime
    status: str  # pending, approved or rejected
    decision: RMDecisionOut | None


class _TicketInput(forms.TicketForm):
    """The page's ticket form, with squads, services and apps named by slug as pipelines know
    them rather than by database id."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("squad", "services", "apps"):
            field = self.fields[name]
            assert isinstance(field, ModelChoiceField)
            field.to_field_name = "slug"


def _tickets(release: Release):
    return (
        ScopeTicket.objects.filter(release=release)
        .select_related("squad", "added_by", "freeze_exception")
        .prefetch_related("services", "apps")
    )


def _ticket_out(ticket: ScopeTicket) -> dict:
    return {
        "code": ticket.code,
        "key": ticket.key,
        "title": ticket.title,
        "squad": ticket.squad.slug,
        "services": sorted(s.slug for s in ticket.services.all()),
        "apps": sorted(a.slug for a in ticket.apps.all()),
        "link": ticket.link,
        "merged": ticket.merged,
        "ci_passing": ticket.ci_passing,
        "freeze_exception": ticket.freeze_exception.code if ticket.freeze_exception else None,
        "added_by": ticket.added_by.username,
        "created_at": ticket.created_at,
    }


def _check_components(request: HttpRequest, ticket_or_data) -> None:
    """An integration limited to some services or apps reports on their tickets only."""
    for component in [*ticket_or_data["services"], *ticket_or_data["apps"]]:
        check_component(request, component)


@router.get(
    "/releases/{ref}/tickets",
    response={200: list[TicketOut], **PROBLEMS},
    summary="The release's scope tickets",
)
def ticket_list(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    return [_ticket_out(t) for t in _tickets(release_for(request, ref))]


@router.post(
    "/releases/{ref}/tickets",
    response={201: TicketOut, **WRITE_PROBLEMS},
    summary="Add a ticket to the scope (during the freeze only under an approved exception)",
)
def ticket_add(request: HttpRequest, ref: str, body: TicketIn):
    with writing(request, Scope.SCOPE_WRITE):
        user = actor(request)
        release = release_for(request, ref, may=adds_scope)
        form = _TicketInput(body.dict(), user=user)
        form.is_valid()
        # As the page: a squad not one's own is refused (403) before any other field is judged.
        squad = form.cleaned_data.get("squad")
        if squad and not adds_for_squad(user, squad):
            raise PermissionDenied("Squad reps add tickets for their own squad only.")
        data = cleaned(form)
        _check_components(request, data)
        ticket = scope.ticket_add(release=release, actor=user, **data)
    return Status(201, _ticket_out(_tickets(release).get(pk=ticket.pk)))


@router.post(
    "/releases/{ref}/tickets/{key}/status",
    response={200: TicketOut, **WRITE_PROBLEMS},
    summary="Report a ticket merged and its CI result",
)
def ticket_status(request: HttpRequest, ref: str, key: str, body: TicketStatusIn):
    with writing(request, Scope.SCOPE_WRITE):
        user = actor(request)
        release = release_for(request, ref, may=adds_scope)
        ticket = _tickets(release).filter(key=key.strip().upper()).first()
        if ticket is None:
            raise Http404(f"{key} is not in the scope of {release.version}.")
        if not adds_for_squad(user, ticket.squad):
            raise PermissionDenied("Squad reps change their own squad's tickets only.")
        _check_components(request, {"services": ticket.services.all(), "apps": ticket.apps.all()})
        scope.ticket_update(
            ticket=ticket,
            actor=user,
            merged=ticket.merged if body.merged is None else body.merged,
            ci_passing=ticket.ci_passing if body.ci_passing is None else body.ci_passing,
        )
    return _ticket_out(_tickets(release).get(pk=ticket.pk))


def _exceptions(release: Release):
    return FreezeException.objects.filter(release=release).select_related(
        "requested_by", "decision", "decision__decided_by"
    )


def _exception_out(exception: FreezeException) -> dict:
    decision = exception.rm_decision
    return {
        "code": exception.code,
        "items": exception.keys,
        "reason": exception.reason,
        "risk": exception.risk,
        "rollback_note": exception.rollback_note,
        "requested_by": exception.requested_by.username,
        "requested_at": exception.requested_at,
        "status": decision.decision if decision else "pending",
        "decision": decision
        and {
            "decision": decision.decision,
            "comment": decision.comment,
            "decided_by": decision.decided_by.username,
            "decided_at": decision.decided_at,
        },
    }


@router.get(
    "/releases/{ref}/freeze-exceptions",
    response={200: list[ExceptionOut], **PROBLEMS},
    summary="The release's freeze exceptions and the RM's decisions",
)
def exception_list(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    return [_exception_out(e) for e in _exceptions(release_for(request, ref))]


@router.post(
    "/releases/{ref}/freeze-exceptions",
    response={201: ExceptionOut, **WRITE_PROBLEMS},
    summary="Ask the RM for a freeze exception (the RM decides in ReleaseHub, never the API)",
)
def exception_request(request: HttpRequest, ref: str, body: ExceptionIn):
    with writing(request, Scope.SCOPE_WRITE):
        release = release_for(request, ref, may=requests_exception, refusal=EXCEPTION_REFUSAL)
        data = cleaned(forms.FreezeExceptionForm({**body.dict(), "items": "\n".join(body.items)}))
        exception = freeze.freeze_exception_request(release=release, actor=actor(request), **data)
    return Status(201, _exception_out(_exceptions(release).get(pk=exception.pk)))
