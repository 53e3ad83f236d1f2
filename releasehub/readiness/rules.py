"""Who may do what to a release's readiness, one predicate per action.

The views check these before anything else (a 403 with nothing changed) and the services check
them again for the person acting, so no caller can sign for someone else's squad whatever the
view or form in front of it.
"""

from releasehub.accounts.models import Role, User
from releasehub.readiness.models import ChecklistItem
from releasehub.readiness.panels import Slot


def signs(user: User) -> bool:
    """Squad reps and SRE give sign-offs, each only for a slot they hold (`signs_for`)."""
    return user.has_any_role(Role.SQUAD_REP, Role.SRE)


def signs_for(user: User, slot: Slot) -> bool:
    return user.has_role(slot.role, slot.squad)


def decides(user: User) -> bool:
    """The RM records the Go/No-Go decision and runs the readiness around it: creates the
    checklists, assigns their owners, marks squads not involved, keeps the meeting record."""
    return user.has_role(Role.RELEASE_MANAGER)


def logs_qa(user: User) -> bool:
    """The QA Lead logs smoke and regression results."""
    return user.has_role(Role.QA_LEAD)


def may_update_item(user: User, item: ChecklistItem) -> bool:
    return item.owner_id == user.pk or user.has_role(item.owner_role) or decides(user)
