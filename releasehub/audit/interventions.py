"""The manual-intervention ledger: every human override of the runbook (a Go despite what
blocks it, a skipped or forced step, a monitoring window cut short, a manual health mark, a
manual rollback), one row each, counted per release by the metrics."""

import datetime as dt
from typing import TYPE_CHECKING

from releasehub.accounts.models import User
from releasehub.audit.models import InterventionKind, ManualIntervention

if TYPE_CHECKING:
    from releasehub.releases.models import Release


def intervention_record(
    *, release: "Release", kind: InterventionKind, actor: User, reason: str, at: dt.datetime
) -> ManualIntervention:
    """Append one override to the ledger, inside the transaction of the change it overrode."""
    return ManualIntervention.objects.create(
        release=release, kind=kind, actor=actor, reason=reason, at=at
    )
