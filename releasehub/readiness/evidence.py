"""The current row of append-only evidence: the tip of its chain of `supersedes`.

The bottom of the readiness reads: the computed checklist items and the panels both build on it,
and it imports neither of them.
"""

from collections.abc import Callable, Hashable, Iterable
from typing import Protocol

from releasehub.readiness.models import RegressionResult
from releasehub.releases.models import Release


class Chained(Protocol):
    pk: int
    supersedes_id: int | None


def current_of[C: Chained](rows: Iterable[C]) -> C | None:
    """The tip of a chain: the one row that no other row supersedes."""
    rows = list(rows)
    superseded = {r.supersedes_id for r in rows}
    tips = [r for r in rows if r.pk not in superseded]
    return max(tips, key=lambda r: r.pk) if tips else None


def currents_by[C: Chained, K: Hashable](rows: Iterable[C], key: Callable[[C], K]) -> dict[K, C]:
    groups: dict[K, list[C]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    # A group is never empty, so each has a tip.
    return {k: tip for k, group in groups.items() if (tip := current_of(group)) is not None}


def current_regression(release: Release) -> dict[str, RegressionResult]:
    rows = RegressionResult.objects.filter(release=release).select_related("actor")
    return currents_by(rows, lambda r: r.suite)
