"""How far behind the timed actions and the outbox are, read from the database.

`/healthz` and `/-/metrics` both read it at request time, so every gunicorn worker and Celery
process agrees without shared in-process state: the database is the only source of truth.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from releasehub.notify.models import DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.schedule.models import LIVE_STATUSES, ActionStatus, ScheduledAction, SweepMark

# Lateness of the actions fired over this window feeds the histogram.
LATENESS_WINDOW = dt.timedelta(hours=1)
# Seconds; the engine's goal is p99 under 2 s, so the buckets are finest there.
LATENESS_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
# A delivery is failing while it waits for a retry after a failed attempt, or was given up on.
FAILING = Q(status=DeliveryStatus.PENDING, attempts__gt=0) | Q(status=DeliveryStatus.FAILED)


def _age(now: dt.datetime, since: dt.datetime | None) -> int:
    return max(0, int((now - since).total_seconds())) if since else 0


@dataclass(frozen=True)
class Backlog:
    overdue_actions: int
    oldest_overdue_seconds: int
    failing_deliveries: int
    oldest_failing_delivery_seconds: int

    def reasons(self) -> list[str]:
        """Why the engine is degraded, one sentence per cause (empty when it is not)."""
        reasons = []
        if self.overdue_actions:
            reasons.append(
                f"{self.overdue_actions} timed action(s) overdue, the oldest by "
                f"{self.oldest_overdue_seconds} s (threshold {settings.HEALTH_OVERDUE_SECONDS} s)"
            )
        if self.oldest_failing_delivery_seconds > settings.HEALTH_DELIVERY_FAILING_SECONDS:
            reasons.append(
                f"{self.failing_deliveries} delivery(ies) failing, the oldest for "
                f"{self.oldest_failing_delivery_seconds} s "
                f"(threshold {settings.HEALTH_DELIVERY_FAILING_SECONDS} s)"
            )
        return reasons


def backlog(now: dt.datetime | None = None) -> Backlog:
    """Overdue actions and failing deliveries (2 queries, whatever the data)."""
    now = now or timezone.now()
    # Dispatched counts too: a claimed action that has not finished may sit on a dead worker.
    actions = ScheduledAction.objects.filter(
        status__in=LIVE_STATUSES,
        due_at__lt=now - dt.timedelta(seconds=settings.HEALTH_OVERDUE_SECONDS),
    ).aggregate(count=Count("id"), oldest=Min("due_at"))
    # Failing since its first failed attempt: a message made long ago that failed once a
    # minute ago is not an outage of 15 minutes, and one whose first try is in flight is not
    # failing at all.
    deliveries = (
        Outbox.objects.filter(FAILING, attempts_log__ok=False)
        .order_by()
        .aggregate(count=Count("id", distinct=True), since=Min("attempts_log__attempted_at"))
    )
    return Backlog(
        overdue_actions=actions["count"],
        oldest_overdue_seconds=_age(now, actions["oldest"]),
        failing_deliveries=deliveries["count"],
        oldest_failing_delivery_seconds=_age(now, deliveries["since"]),
    )


class EngineCollector(Collector):
    """The timed-action engine and the outbox as Prometheus series, counted at scrape time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        state = backlog(now)
        yield GaugeMetricFamily(
            "releasehub_timed_actions_overdue",
            "Live timed actions past due by more than HEALTH_OVERDUE_SECONDS.",
            value=state.overdue_actions,
        )
        yield GaugeMetricFamily(
            "releasehub_timed_actions_oldest_overdue_seconds",
            "How late the oldest overdue timed action is (0 when none is).",
            value=state.oldest_overdue_seconds,
        )
        by_status = dict(
            ScheduledAction.objects.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        statuses = GaugeMetricFamily(
            "releasehub_timed_actions", "Timed actions by status.", labels=["status"]
        )
        for status in ActionStatus.values:
            statuses.add_metric([status], by_status.get(status, 0))
        yield statuses
        yield self._lateness(now)
        yield from self._sweeps()
        yield from self._outbox(state)

    def _lateness(self, now: dt.datetime) -> Metric:
        late_by = ExpressionWrapper(F("fired_at") - F("due_at"), output_field=DurationField())
        fired = ScheduledAction.objects.filter(fired_at__gte=now - LATENESS_WINDOW).annotate(
            late_by=late_by
        )
        # One query: a conditional count per bucket, so no row leaves the database.
        figures = fired.aggregate(
            total=Sum("late_by"),
            **{
                f"le_{i}": Count("id", filter=Q(late_by__lte=dt.timedelta(seconds=bound)))
                for i, bound in enumerate(LATENESS_BUCKETS)
            },
            count=Count("id"),
        )
        buckets = [(str(bound), figures[f"le_{i}"]) for i, bound in enumerate(LATENESS_BUCKETS)] + [
            ("+Inf", figures["count"])
        ]
        total = figures["total"]
        return GaugeHistogramMetricFamily(
            "releasehub_timed_action_lateness_seconds",
            "fired_at - due_at of the timed actions fired in the last hour (a window, not a "
            "running total: use histogram_quantile on it without rate()).",
            buckets=buckets,
            gsum_value=total.total_seconds() if total else 0.0,
        )

    def _sweeps(self) -> Iterator[Metric]:
        # Timed in the worker, which has no endpoint: each worker process writes its previous
        # pass with its next sweep mark (schedule.services), so one row per sweep says it all.
        duration = GaugeMetricFamily(
            "releasehub_sweep_duration_seconds",
            "How long the latest reported pass of each engine sweep took.",
            labels=["sweep"],
        )
        last_run = GaugeMetricFamily(
            "releasehub_sweep_last_run_timestamp_seconds",
            "When each engine sweep last started a pass (Unix time, database clock).",
            labels=["sweep"],
        )
        for name, ran_at, seconds in SweepMark.objects.values_list(
            "name", "ran_at", "last_pass_seconds"
        ):
            last_run.add_metric([name], ran_at.timestamp())
            if seconds is not None:
                duration.add_metric([name], seconds)
        yield duration
        yield last_run

    def _outbox(self, state: Backlog) -> Iterator[Metric]:
        counts = Outbox.objects.aggregate(
            pending=Count("id", filter=Q(status=DeliveryStatus.PENDING)),
            failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        )
        yield GaugeMetricFamily(
            "releasehub_outbox_backlog",
            "Outbox messages waiting to be sent (first try or a retry).",
            value=counts["pending"],
        )
        yield GaugeMetricFamily(
            "releasehub_outbox_failed",
            "Outbox messages given up on, waiting for an SRE to retry them.",
            value=counts["failed"],
        )
        yield GaugeMetricFamily(
            "releasehub_outbox_oldest_failing_seconds",
            "How long the longest-failing delivery has been failing (0 when none is).",
            value=state.oldest_failing_delivery_seconds,
        )
        # The attempt log is append-only (a database trigger), so its count only ever rises
        # and is a true counter across every process and restart.
        yield CounterMetricFamily(
            "releasehub_outbox_attempts_failed",
            "Failed delivery attempts since the database was created.",
            value=DeliveryAttempt.objects.filter(ok=False).count(),
        )
