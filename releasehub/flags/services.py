"""Writes to the feature flag inventory."""

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.flags.models import FeatureFlag, FlagEnvironmentState, FlagToggle
from releasehub.releases.models import Release


@transaction.atomic
def flag_toggle(
    *,
    flag: FeatureFlag,
    actor: User,
    environment: str,
    state: str,
    reason: str,
    release: Release | None = None,
    as_rollback: bool = False,
) -> FlagToggle:
    """Record a toggle on the flag (and on the release's timeline when one is named)."""
    now = timezone.now()
    locked = FeatureFlag.objects.select_for_update().get(pk=flag.pk)
    before = (
        FlagEnvironmentState.objects.filter(flag=locked, environment=environment)
        .values_list("state", flat=True)
        .first()
    )
    FlagEnvironmentState.objects.update_or_create(
        flag=locked, environment=environment, defaults={"state": state, "updated_at": now}
    )
    toggle = FlagToggle.objects.create(
        flag=locked,
        release=release,
        environment=environment,
        state=state,
        as_rollback=as_rollback,
        reason=reason,
        actor=actor,
        toggled_at=now,
    )
    what = "Rollback step: feature flag" if as_rollback else "Feature flag"
    record_event(
        # Not a `scope.` verb: a toggle leaves Go/No-Go sign-offs standing.
        verb="rollback.flag_toggled" if as_rollback else "flag.toggled",
        target=toggle,
        release=release,
        actor=actor,
        summary=f"{what} {locked.key} turned {toggle.get_state_display()} in "
        f"{toggle.get_environment_display()}",
        reason=reason,
        before={"state": before},
        after={"state": state},
        occurred_at=now,
    )
    return toggle
