from django import template

from releasehub.accounts.models import User
from releasehub.schedule.access import may_operate

register = template.Library()


@register.filter
def operates_timed_actions(user) -> bool:
    """`{% if user|operates_timed_actions %}`: show the retry buttons (the views check again).
    Anyone but a signed-in user (anonymous, or no `user` in the context) gets none."""
    return isinstance(user, User) and may_operate(user)
