"""Checklist items that the data answers: computed on read, never ticked.

A template line names its rule by `computed_by`; REGISTRY maps that key to a function of the
release returning Computed(done, detail). A rule whose data is not in ReleaseHub yet answers
"not computable yet" (not done) instead of failing the page.
"""

from collections.abc import Callable
from typing import NamedTuple

from django.apps import apps
from django.core.exceptions import FieldError

from releasehub.core.relations import prefetched
from releasehub.readiness.evidence import current_regression
from releasehub.readiness.models import Suite
from releasehub.releases.models import Release


class Computed(NamedTuple):
    done: bool
    detail: str


Rule = Callable[[Release], Computed]
REGISTRY: dict[str, Rule] = {}


def register(key: str) -> Callable[[Rule], Rule]:
    def decorate(rule: Rule) -> Rule:
        REGISTRY[key] = rule
        return rule

    return decorate


def not_computable(what: str) -> Computed:
    return Computed(False, f"Not computable yet: {what}.")


def compute(key: str, release: Release) -> Computed:
    rule = REGISTRY.get(key)
    if rule is None:
        return not_computable(f"no rule named {key!r}")
    try:
        return rule(release)
    except (LookupError, FieldError):
        # The releases app's models are being built alongside; a missing model or field means
        # the rule cannot answer yet, which is not a reason to break the readiness page.
        return not_computable("the data this item reads is not recorded in ReleaseHub")


def _releases_model(name: str):
    return apps.get_model("releases", name)


def _keys(keys: list[str], limit: int = 5) -> str:
    more = f" and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


@register("scope_merged_ci")
def scope_merged_ci(release: Release) -> Computed:
    if prefetched(release, "tickets"):  # the dashboard's rows
        rows = [(t.key, t.merged, t.ci_passing) for t in release.tickets.all()]
    else:
        ScopeTicket = _releases_model("ScopeTicket")
        rows = list(
            ScopeTicket.objects.filter(release=release).values_list("key", "merged", "ci_passing")
        )
    if not rows:
        return Computed(True, "No tickets are tagged for this release.")
    unmerged = sorted(key for key, merged, _ in rows if not merged)
    failing = sorted(key for key, _, ci in rows if not ci)
    if not unmerged and not failing:
        return Computed(True, f"All {len(rows)} tickets merged and passing CI.")
    problems = []
    if unmerged:
        problems.append(f"not merged: {_keys(unmerged)}")
    if failing:
        problems.append(f"CI failing: {_keys(failing)}")
    text = "; ".join(problems)
    return Computed(False, text[0].upper() + text[1:] + ".")


@register("rollback_plans")
def rollback_plans(release: Release) -> Computed:
    changed, changed_apps, plans = _changed_and_planned(release)
    planned_services = {s for s, _ in plans if s}
    planned_apps = {a for _, a in plans if a}
    missing = sorted(
        [name for pk, name in changed.items() if pk not in planned_services]
        + [name for pk, name in changed_apps.items() if pk not in planned_apps]
    )
    total = len(changed) + len(changed_apps)
    if missing:
        return Computed(False, f"No rollback plan for {_keys(missing)}.")
    if not total:
        return Computed(True, "The scope changes no service or app.")
    return Computed(True, f"A rollback plan for each of the {total} changed services and apps.")


def _changed_and_planned(
    release: Release,
) -> tuple[dict[int, str], dict[int, str], list[tuple[int | None, int | None]]]:
    """Changed services and apps (id: name) and the (service, app) of each rollback plan: from
    the rows the page prefetched when it has them (the dashboard), else three queries."""
    tickets_loaded = prefetched(release, "tickets", "rollback_plans") and all(
        prefetched(t, "services", "apps") for t in release.tickets.all()
    )
    if tickets_loaded:
        tickets = release.tickets.all()
        return (
            {s.pk: s.name for t in tickets for s in t.services.all()},
            {a.pk: a.name for t in tickets for a in t.apps.all()},
            [(p.service_id, p.app_id) for p in release.rollback_plans.all()],
        )
    ScopeTicket = _releases_model("ScopeTicket")
    RollbackPlan = _releases_model("RollbackPlan")
    rows = ScopeTicket.objects.filter(release=release)
    return (
        dict(rows.filter(services__isnull=False).values_list("services__id", "services__name")),
        dict(rows.filter(apps__isnull=False).values_list("apps__id", "apps__name")),
        list(RollbackPlan.objects.filter(release=release).values_list("service_id", "app_id")),
    )


@register("regression_logged")
def regression_logged(release: Release) -> Computed:
    results = current_regression(release)
    missing = [label for suite, label in Suite.choices if suite not in results]
    if missing:
        return Computed(False, f"No results logged for {', '.join(missing)}.")
    failed = [r for r in results.values() if r.failed]
    if failed:
        names = ", ".join(f"{r.get_suite_display()} ({r.failed} failed)" for r in failed)
        return Computed(False, f"Failures logged: {names}.")
    return Computed(True, "Unit, integration and E2E results logged with no failures.")
