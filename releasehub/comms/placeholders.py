"""Fill a template's `{name}` placeholders from a release's data (IST for every time)."""

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.urls import reverse

from releasehub.comms.models import PLACEHOLDER_RE, MessageTemplate
from releasehub.releases.clock import IST
from releasehub.releases.models import Hotfix, Release


def ist(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(IST):%a %d %b %Y, %H:%M} IST" if moment else "(not yet)"


def load(release: Release) -> Release:
    """The release with everything its messages and changelog read, in a fixed few queries."""
    return (
        Release.objects.select_related("hotfix")
        .prefetch_related(
            "tickets__squad",
            "tickets__services",
            "flags",
            "risks",
            "hotfix__services",
            "hotfix__apps",
        )
        .get(pk=release.pk)
    )


def _hotfix(release: Release) -> Hotfix | None:
    try:
        return release.hotfix
    except Hotfix.DoesNotExist:
        return None


def key_updates(release: Release) -> str:
    tickets = sorted(release.tickets.all(), key=lambda t: (t.squad.name, t.key))
    if not tickets:
        return "- (no scope tickets)"
    lines = []
    for squad, group in groupby(tickets, key=lambda t: t.squad.name):
        lines.append(f"{squad}:")
        lines += [f"- {t.key} {t.title}" for t in group]
    return "\n".join(lines)


def known_issues(release: Release) -> str:
    lines = [
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


def values(release: Release) -> dict[str, str]:
    hotfix = _hotfix(release)
    site = settings.SITE_URL
    return {
        "version": release.version,
        "window": ist(release.window_start),
        "completed_at": ist(release.completed_at),
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


def fill(text: str, data: dict[str, str]) -> str:
    # Not str.format: a template may not reach attributes, and unknown names stay visible.
    return PLACEHOLDER_RE.sub(lambda m: data.get(m.group(1), m.group(0)), text)


def render(template: MessageTemplate, release: Release) -> tuple[str, str]:
    data = values(release)
    return fill(template.subject, data)[:200], fill(template.body, data)
