"""Incoming deliveries: stored once (a replay is refused by the unique delivery id), and the
tickets they name marked merged or CI passing/failing through the scope service, as the
repository's machine user, so the checklist item "tickets merged and passing CI" follows."""

import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.machines import machine_user
from releasehub.accounts.models import Squad, User
from releasehub.audit.timeline import acting_via
from releasehub.core.errors import ServiceError
from releasehub.releases.access import adds_for_squad
from releasehub.releases.models import Release, ScopeTicket
from releasehub.releases.services.scope import ticket_update
from releasehub.webhooks.models import IncomingDelivery, Outcome, Repository

log = logging.getLogger(__name__)

# Only these headers are kept with a delivery: enough to debug, no cookies or auth.
KEPT_HEADERS = (
    "Content-Type",
    "User-Agent",
    "X-GitHub-Event",
    "X-GitHub-Delivery",
    "X-GitHub-Hook-ID",
    "X-Gitlab-Event",
    "X-Gitlab-Event-UUID",
    "X-Gitlab-Instance",
)


def delivery_store(
    *,
    source: str,
    delivery_id: str,
    event: str,
    headers: dict[str, str],
    body: bytes,
    repository: Repository | None = None,
) -> IncomingDelivery | None:
    """The new delivery row, or None when this id was received before (a replay)."""
    limit = settings.WEBHOOK_DELIVERY_MAX_BYTES
    given = {name.lower(): value for name, value in headers.items()}
    kept = {name: given[name.lower()][:300] for name in KEPT_HEADERS if name.lower() in given}
    try:
        # A savepoint, so the refused insert leaves an enclosing transaction usable.
        with transaction.atomic():
            return IncomingDelivery.objects.create(
                source=source,
                delivery_id=delivery_id[:100],
                event=event[:60],
                repository=repository,
                received_at=timezone.now(),
                headers=kept,
                body=body[:limit].decode("utf-8", errors="replace"),
                truncated=len(body) > limit,
            )
    except IntegrityError:
        return None


def delivery_finish(delivery: IncomingDelivery, outcome: str, lines: list[str]) -> None:
    delivery.outcome, delivery.detail = outcome, "\n".join(lines)
    delivery.save(update_fields=["outcome", "detail"])


def deliveries_purge(*, now: dt.datetime | None = None) -> int:
    """Delete raw deliveries older than WEBHOOK_DELIVERY_KEEP_DAYS (beat, hourly)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.WEBHOOK_DELIVERY_KEEP_DAYS)
    deleted, _ = IncomingDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted


# Tickets -------------------------------------------------------------------------------------


def _patterns() -> dict[str, re.Pattern]:
    return {
        squad: re.compile(pattern, re.IGNORECASE)
        for squad, pattern in settings.WEBHOOK_TICKET_PATTERNS.items()
    }


def ticket_keys(*texts: str) -> set[str]:
    """Every key any squad's pattern finds in `texts` (a title, `feature/pat-101-login`)."""
    found: set[str] = set()
    for pattern in _patterns().values():
        for text in texts:
            found |= {m.group(0).upper() for m in pattern.finditer(text or "")}
    return found


def _squad_accepts(squad: Squad, key: str) -> bool:
    patterns = _patterns()
    pattern = patterns.get(squad.slug) or patterns.get("*")
    return bool(pattern and pattern.fullmatch(key))


@dataclass
class Report:
    """What a delivery did, line by line, for its row and its HTTP answer."""

    lines: list[str] = field(default_factory=list)
    applied: int = 0
    skipped: int = 0

    def note(self, line: str, *, applied: bool = False) -> None:
        self.lines.append(line)
        if applied:
            self.applied += 1
        else:
            self.skipped += 1

    @property
    def outcome(self) -> str:
        if not self.applied:
            return Outcome.IGNORED
        return Outcome.PARTLY if self.skipped else Outcome.APPLIED


def repository_actor(repository: Repository) -> User:
    """`machine:github-owner/name`, a squad representative of the squads it may mark."""
    squads = list(repository.squads.all()) or list(Squad.objects.all())
    return machine_user(
        f"{repository.provider}-{repository.full_name}",
        label=str(repository),
        roles=["squad_rep"],
        squads=squads,
    )


def tickets_mark(
    *,
    delivery: IncomingDelivery,
    repository: Repository,
    keys: set[str],
    merged: bool | None = None,
    ci_passing: bool | None = None,
    url: str = "",
) -> Report:
    """Mark the tickets named by `keys` in open releases: merged (keeping CI) or CI (keeping
    merged). Unknown keys and refusals are noted on the report, never raised."""
    report = Report()
    if not keys:
        report.note("No ticket key in the title or branch.")
        return report
    tickets = list(
        ScopeTicket.objects.filter(key__in=keys, release__status__in=Release.OPEN_STATUSES)
        .select_related("squad", "release")
        .order_by("key", "release__window_start")
    )
    for key in sorted(keys - {t.key for t in tickets}):
        report.note(f"{key}: not in the scope of an open release; ignored.")
    actor = repository_actor(repository)
    via = f"{repository} (delivery {delivery.delivery_id})"
    for ticket in tickets:
        where = f"{ticket.key} in {ticket.release.version}"
        if not _squad_accepts(ticket.squad, ticket.key):
            report.note(f"{where}: not a key of {ticket.squad}'s pattern; ignored.")
            continue
        if not adds_for_squad(actor, ticket.squad):
            report.note(f"{where}: {repository} may not mark {ticket.squad}'s tickets; ignored.")
            continue
        new_merged = ticket.merged if merged is None else merged
        new_ci = ticket.ci_passing if ci_passing is None else ci_passing
        try:
            with acting_via(via, url):
                ticket_update(ticket=ticket, actor=actor, merged=new_merged, ci_passing=new_ci)
        except ServiceError as exc:
            report.note(f"{where}: refused: {exc}")
            continue
        report.note(
            f"{where}: merged {'yes' if new_merged else 'no'}, "
            f"CI {'passing' if new_ci else 'failing'}.",
            applied=True,
        )
    return report
