"""Hotfixes: requested with what they fix and how they were tested, decided by an RM (in
`decisions`), deployed, and followed up (changelog, incident, back-merge into main)."""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.errors import ServiceError
from releasehub.releases.hooks import Change, announce
from releasehub.releases.models import FollowUp, Hotfix, HotfixFollowUp, Release
from releasehub.releases.services.decisions import AlreadyDecided
from releasehub.releases.services.lifecycle import release_create

S = Release.Status

# After deployment: a hotfix that has reached verification has been deployed.
DEPLOYED_STATUSES = (S.VERIFYING, S.MONITORING, S.COMPLETED)


def last_production_tag() -> str:
    """The version of the last completed release: the default base of a hotfix branch."""
    last = (
        Release.objects.filter(status=S.COMPLETED)
        .order_by("-completed_at", "-window_start")
        .values_list("version", flat=True)
        .first()
    )
    return last or ""


@transaction.atomic
def hotfix_create(
    *,
    actor: User,
    version: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    production_tag: str,
    problem: str,
    incident_url: str,
    branch: str,
    risk_assessment: str,
    tests_run: str,
    tests_result: str,
    supervising_sre: User,
    components: Iterable[Service | FrontendApp] = (),
    at: dt.datetime | None = None,
) -> Hotfix:
    """Request a hotfix (the form refuses a window in the past; `at` lets history be seeded).

    `components` are the services and apps it affects: the form requires one; a hotfix from
    an anomaly that named none has none."""
    release = release_create(
        version=version,
        kind=Release.Kind.HOTFIX,
        window_start=window_start,
        window_end=window_end,
        actor=actor,
        summary=problem,
        at=at,
    )
    hotfix = Hotfix.objects.create(
        release=release,
        production_tag=production_tag,
        problem=problem,
        incident_url=incident_url,
        branch=branch,
        risk_assessment=risk_assessment,
        tests_run=tests_run,
        tests_result=tests_result,
        supervising_sre=supervising_sre,
        requested_by=actor,
        requested_at=at or timezone.now(),
    )
    components = list(components)
    hotfix.services.set(c for c in components if isinstance(c, Service))
    hotfix.apps.set(c for c in components if isinstance(c, FrontendApp))
    affects = hotfix.components_text
    record_event(
        verb="hotfix.requested",
        target=hotfix,
        release=release,
        actor=actor,
        summary=f"Hotfix {version} from {production_tag} on {branch}, SRE {supervising_sre}"
        + (f"; affects {affects}" if affects else ""),
        reason=problem,
        after={
            "incident": incident_url,
            "tests": tests_result,
            "risk": risk_assessment,
            "components": [c.slug for c in hotfix.components],
        },
        occurred_at=at,
    )
    return hotfix


def hotfix_confirm(
    *, hotfix: Hotfix, actor: User, kind: str, note: str = "", at: dt.datetime | None = None
) -> HotfixFollowUp:
    if hotfix.release.status not in DEPLOYED_STATUSES:
        raise ServiceError("Follow-ups are confirmed after the hotfix is deployed.")
    label = FollowUp(kind).label
    try:
        with transaction.atomic():
            row = HotfixFollowUp.objects.create(
                hotfix=hotfix,
                kind=kind,
                note=note,
                confirmed_by=actor,
                confirmed_at=at or timezone.now(),
            )
            record_event(
                verb=f"hotfix.{kind}",
                target=hotfix,
                release=hotfix.release,
                actor=actor,
                summary=f"Hotfix {hotfix.release.version}: {label}",
                reason=note,
                occurred_at=at,
            )
            if kind == FollowUp.BACK_MERGE:
                announce(Change.BACK_MERGED, hotfix.release)
    except IntegrityError:
        raise AlreadyDecided(f"{label} was already confirmed.") from None
    return row
