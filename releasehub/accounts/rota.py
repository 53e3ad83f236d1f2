from releasehub.accounts.models import RotaMember, User


def next_release_manager(previous: User | None) -> User | None:
    """The active rota member after `previous`, wrapping round; the first if none came before."""
    members = list(RotaMember.objects.filter(active=True).select_related("user"))
    if not members:
        return None
    ids = [m.user_id for m in members]
    if previous is None or previous.pk not in ids:
        return members[0].user
    return members[(ids.index(previous.pk) + 1) % len(members)].user
