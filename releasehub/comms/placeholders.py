"""Fill a template's `{name}` placeholders from a release's data (IST for every time)."""

import re
from collections.abc import Mapping
from itertools import groupby

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from releasehub.comms.models import PLACEHOLDER_RE, MessageTemplate
from releasehub.core.relations import one_to_one_or_none
from releasehub.releases.clock import ist
from releasehub.releases.models import Hotfix, Release
from releasehub.rollout.models import Rollback, RollbackItem


class FactNotYet(ValueError):
    """A template states something about the release that is not true yet."""


def with_message_data(releases: QuerySet[Release]) -> QuerySet[Release]:
    """Releases with everything their messages and changelog entries read, in a fixed few
    queries however many there are."""
    items = RollbackItem.objects.select_related("service", "app", "result").order_by("id")
    rollbacks = Rollback.objects.order_by("at", "id").prefetch_related(Prefetch("items", items))
    return releases.select_related("hotfix").prefetch_related(
        "tickets__squad",
        "tickets__services",
        "flags",
        "risks",
        "hotfix__services",
        "hotfix__apps",
        Prefetch("rollbacks", rollbacks),
    )


def load(release: Release) -> Release:
    return with_message_data(Release.objects.all()).get(pk=release.pk)


def _hotfix(release: Release) -> Hotfix | None:
    return one_to_one_or_none(release, "hotfix")


def key_updates(release: Release) -> str:
    tickets = sorted(release.tickets.all(), key=lambda t: (t.squad.name, t.key))
    if not tickets:
        return "- (no scope tickets)"
    lines = []
    for squad, group in groupby(tickets, key=lambda t: t.squad.name):
        lines.append(f"{squad}:")
        lines += [f"- {t.key} {t.title}" for t in group]
    return "\n".join(lines)


def rollback_items(release: Release) -> list[RollbackItem]:
    return [item for rollback in release.rollbacks.all() for item in rollback.items.all()]


def rollback_lines(release: Release) -> list[str]:
    """Each service or app a rollback covered, how it went, and the rollback's reason."""
    lines = []
    for rollback in release.rollbacks.all():
        for item in rollback.items.all():
            result = item.result_or_none
            if result is None:
                what = " is being rolled back"
            elif result.succeeded:
                what = f" rolled back to {item.previous}" if item.previous else " rolled back"
            else:
                what = ": rollback failed"
            lines.append(f"- {item.component}{what}: {rollback.reason}")
    return lines


def known_issues(release: Release) -> str:
    lines = rollback_lines(release) + [
        f"- {r.description}" + (f" (mitigation: {r.mitigation})" if r.mitigation else "")
        for r in release.risks.all()
    ]
    hotfix = _hotfix(release)
    if hotfix:
        lines.insert(0, f"- {hotfix.problem}: {hotfix.incident_url}")
    return "\n".join(lines) or "- None known."


def scope_summary(release: Release) -> str:
    tickets = list(release.tickets.all())
    squads = sorted({t.squad.name for t in tickets})
    counted = f"{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}"
    if squads:
        counted += f" ({', '.join(squads)})"
    return f"{release.summary} — {counted}" if release.summary else counted


def affected_services(release: Release) -> str:
    """What the hotfix request named; else the services its tickets touch."""
    hotfix = _hotfix(release)
    if hotfix and hotfix.components:
        return hotfix.components_text
    names = sorted({s.name for t in release.tickets.all() for s in t.services.all()})
    return ", ".join(names) or "the affected service"


def values(release: Release) -> dict[str, str | None]:
    hotfix = _hotfix(release)
    site = settings.SITE_URL
    return {
        "version": release.version,
        "window": ist(release.window_start),
        # None: not a fact yet (see render); never "(not yet)" in a message.
        "completed_at": ist(release.completed_at) if release.completed_at else None,
        "scope_summary": scope_summary(release),
        "code_freeze": ist(release.freeze_at) if release.freeze_at else "(no freeze: hotfix)",
        "key_updates": key_updates(release),
        "known_issues": known_issues(release),
        "hotfix_id": release.version,
        "issue": hotfix.problem if hotfix else release.summary or "(no hotfix request)",
        "affected_service": affected_services(release),
        "incident_link": hotfix.incident_url if hotfix else "(none)",
        "release_link": site + reverse("pages:release", args=[release.code]),
        "changelog_link": site + reverse("comms:changelog_entry", args=[release.code]),
    }


def fill(text: str, data: Mapping[str, str | None]) -> str:
    # Not str.format: a template may not reach attributes, and unknown names stay visible
    # (render() has refused a template whose facts are None before it gets here).
    def value(match: re.Match[str]) -> str:
        found = data.get(match.group(1))
        return match.group(0) if found is None else found

    return PLACEHOLDER_RE.sub(value, text)


# Why a placeholder has no value for a release yet.
NOT_YET = {"completed_at": "needs a completed release"}


def render(template: MessageTemplate, release: Release) -> tuple[str, str]:
    """Subject and body filled from the release; FactNotYet when the template states
    something the release has not reached yet."""
    data = values(release)
    used = set(PLACEHOLDER_RE.findall(template.subject + template.body))
    if missing := sorted(name for name in used if name in data and data[name] is None):
        status = f"{release.version} is {release.get_status_display()}"
        raise FactNotYet(
            "; ".join(f"{{{name}}} {NOT_YET[name]}" for name in missing) + f": {status}."
        )
    return fill(template.subject, data)[:200], fill(template.body, data)
