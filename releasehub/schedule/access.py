"""Who may work the engine's manual controls (retry a failed action or delivery): SRE and staff.
Written once, for the views that act and the templates that offer the buttons."""

from releasehub.accounts.models import Role, User


def may_operate(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.has_role(Role.SRE)))
