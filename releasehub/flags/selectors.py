"""Reads of the feature flag inventory. Releases name flags by key (`FlagChange.name`)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch

from releasehub.flags.models import FeatureFlag, FlagEnvironmentState, FlagToggle
from releasehub.releases.models import FlagChange, Release


@dataclass
class FlagRow:
    flag: FeatureFlag | None
    key: str
    changes: list[FlagChange] = field(default_factory=list)

    @property
    def states(self) -> dict[str, FlagEnvironmentState]:
        return {s.environment: s for s in self.flag.environments.all()} if self.flag else {}


def _flags():
    return FeatureFlag.objects.select_related("squad").prefetch_related(
        Prefetch("environments", queryset=FlagEnvironmentState.objects.order_by("environment"))
    )


def _changes_by_key(keys) -> dict[str, list[FlagChange]]:
    changes = defaultdict(list)
    rows = (
        FlagChange.objects.filter(name__in=list(keys))
        .select_related("release")
        .order_by("-release__window_start")
    )
    for change in rows:
        changes[change.name].append(change)
    return changes


def flag_inventory(status: str | None = None) -> list[FlagRow]:
    """Every flag with the releases that touched it and its known states (3 queries)."""
    flags = list(_flags().filter(status=status) if status else _flags())
    changes = _changes_by_key(f.key for f in flags)
    return [FlagRow(flag=f, key=f.key, changes=changes.get(f.key, [])) for f in flags]


def flag_detail(flag: FeatureFlag) -> dict:
    return {
        "row": FlagRow(flag=flag, key=flag.key, changes=_changes_by_key([flag.key])[flag.key]),
        "toggles": list(
            FlagToggle.objects.filter(flag=flag).select_related("release", "actor")[:50]
        ),
    }


def flags_for_release(release: Release) -> list[FlagRow]:
    """The flags in the release's scope, with their inventory entry when there is one."""
    changes = list(FlagChange.objects.filter(release=release).order_by("name"))
    flags = {f.key: f for f in _flags().filter(key__in=[c.name for c in changes])}
    return [FlagRow(flag=flags.get(c.name), key=c.name, changes=[c]) for c in changes]


def toggles_for_release(release: Release) -> list[FlagToggle]:
    return list(FlagToggle.objects.filter(release=release).select_related("flag", "actor"))
