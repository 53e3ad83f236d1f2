"""The changelog in docs/changelog.md's format: one entry per release, newest first.

## 2026.12.02 — 2026-12-02 (final)
### Scope
#### Patient
- PAT-101 Reschedule from the booking page (https://tracker/...)
### Feature flags
- `provider-availability-cache`: off; enabled for 10% of clinics after release
### Known issues
- ...
"""

from django.db.models import QuerySet

from releasehub.comms.placeholders import (
    key_updates,
    known_issues,
    load,
    rollback_items,
    with_message_data,
)
from releasehub.releases.clock import IST
from releasehub.releases.models import Release

S = Release.Status
FINAL_STATUSES = (S.MONITORING, S.COMPLETED, S.ROLLED_BACK)
HEADER = "# Changelog\n\nReleases newest first. Times are IST (Asia/Kolkata).\n"


def is_final(release: Release) -> bool:
    return release.status in FINAL_STATUSES


def entry(release: Release) -> str:
    """The entry of an already `load()`ed release: a draft until it ships, then final."""
    day = (release.completed_at or release.window_start).astimezone(IST)
    state = "final" if is_final(release) else "draft"
    kind = " (hotfix)" if release.is_hotfix else ""
    lines = [f"## {release.version}{kind} — {day:%Y-%m-%d} ({state})", ""]
    if release.status == S.ROLLED_BACK:
        lines += ["**Rolled back.**", ""]
    elif items := rollback_items(release):
        # A partial rollback: the release shipped without these (Known issues says why).
        names = ", ".join(dict.fromkeys(str(i.component) for i in items))
        lines += [f"**Rolled back in part:** {names}.", ""]
    if release.summary:
        lines += [release.summary, ""]
    lines += ["### Scope", ""]
    for line in key_updates(release).splitlines():
        is_squad = line.endswith(":") and not line.startswith("- ")
        lines.append(f"#### {line[:-1]}" if is_squad else line)
    lines += ["", "### Feature flags", ""]
    flags = sorted(release.flags.all(), key=lambda f: f.name)
    lines += [f"- `{f.name}`: {f.default_state}" for f in flags] or ["- None."]
    lines += ["", "### Known issues", "", known_issues(release), ""]
    return "\n".join(lines)


def release_entry(release: Release) -> str:
    return entry(load(release))


def released() -> QuerySet[Release]:
    shipped = Release.objects.filter(status__in=FINAL_STATUSES)
    return with_message_data(shipped).order_by("-window_start", "-id")


def whole() -> str:
    """Every shipped (or rolled back) release's entry, newest first, as one file."""
    return HEADER + "\n" + "\n".join(entry(r) for r in released())
