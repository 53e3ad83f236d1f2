"""Users that are machines: an integration token's pipeline, a code host's or monitor's webhook.

The services take the user who acts and check that user's roles; a machine gets the roles its
scopes imply and nothing else, so it passes exactly the checks a person in that role would.
"""

from collections.abc import Iterable

from django.db import transaction

from releasehub.accounts.models import RoleAssignment, Squad, User

MACHINE_PREFIX = "machine:"


@transaction.atomic
def machine_user(
    slug: str, *, label: str, roles: Iterable[str] = (), squads: Iterable[Squad] = ()
) -> User:
    """The machine user `machine:<slug>`, created on first use, holding exactly `roles`
    (a squad representative role once per squad in `squads`)."""
    user, created = User.objects.get_or_create(
        username=f"{MACHINE_PREFIX}{slug}"[:150],
        defaults={"first_name": label[:150], "is_machine": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.first_name != label[:150]:
        user.first_name = label[:150]
        user.save(update_fields=["first_name"])
    wanted: set[tuple[str, int | None]] = set()
    for role in roles:
        if role == "squad_rep":
            wanted |= {(role, squad.pk) for squad in squads}
        else:
            wanted.add((role, None))
    held = {(a.role, a.squad_id): a.pk for a in user.role_assignments.all()}
    stale = [pk for key, pk in held.items() if key not in wanted]
    RoleAssignment.objects.filter(pk__in=stale).delete()
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=user, role=role, squad_id=squad) for role, squad in wanted - set(held)
    )
    if hasattr(user, "_assignments"):
        del user._assignments
    return user
