"""Who may do what on a release: one helper per object, predicates per action."""

from collections.abc import Callable
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from releasehub.accounts.models import Role, Squad, User
from releasehub.core.http import AuthedRequest
from releasehub.releases.models import Release

Predicate = Callable[[User], bool]


def is_rm(user: User) -> bool:
    return user.has_role(Role.RELEASE_MANAGER)


def adds_scope(user: User) -> bool:
    """The RM and squad reps add scope (reps only for their own squads' tickets)."""
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SQUAD_REP)


def adds_for_squad(user: User, squad: Squad) -> bool:
    return is_rm(user) or user.has_role(Role.SQUAD_REP, squad=squad)


def plans_rollback(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SQUAD_REP, Role.SRE)


def validates_dashboards(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE, Role.QA_LEAD)


EXCEPTION_REFUSAL = "Freeze exceptions are requested by squad reps, the Release Manager and SRE."


def requests_exception(user: User) -> bool:
    """Those who own scope ask to change it during the freeze; QA, Support and Leadership read."""
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SQUAD_REP, Role.SRE)


def exports_timeline(user: User) -> bool:
    """Auditors' copy of the whole timeline: the RM, SRE and staff."""
    return user.is_staff or user.has_any_role(Role.RELEASE_MANAGER, Role.SRE)


def requests_hotfix(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SQUAD_REP, Role.SRE)


def confirms_follow_ups(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE, Role.SQUAD_REP)


def anyone(user: User) -> bool:
    return True


def capabilities(user: User) -> dict[str, bool]:
    """What the page offers this user; the views check the same predicates on POST."""
    return {
        "rm": is_rm(user),
        "scope": adds_scope(user),
        "plan": plans_rollback(user),
        "validate": validates_dashboards(user),
        "exception": requests_exception(user),
        "hotfix": requests_hotfix(user),
        "follow_up": confirms_follow_ups(user),
        "export_timeline": exports_timeline(user),
    }


def release_for(
    request: AuthedRequest,
    code: UUID | str,
    may: Predicate = anyone,
    refusal: str = "Your role does not allow this.",
    related: tuple[str, ...] = ("release_manager",),
) -> Release:
    """The release named in the URL, or 404; 403 with `refusal` when the user may not do this
    to it. `related`: what to join in the same query."""
    try:
        release = get_object_or_404(Release.objects.select_related(*related), code=code)
    except (ValueError, TypeError):
        raise Http404("No such release") from None
    if not may(request.user):
        raise PermissionDenied(refusal)
    return release
