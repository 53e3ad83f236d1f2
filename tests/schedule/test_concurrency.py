"""Concurrent sweepers and duplicate executors on PostgreSQL: every row is claimed and run once."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.services import claim_due, run_action

pytestmark = [pytest.mark.clock, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(count: int, work) -> list:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work()
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_four_concurrent_sweepers_claim_each_of_2000_due_rows_once(postgres):
    now = timezone.now()
    ScheduledAction.objects.bulk_create(
        ScheduledAction(kind=ActionKind.PROBE, due_at=now - dt.timedelta(microseconds=i))
        for i in range(1, 2001)
    )

    def sweeper() -> list[int]:
        claimed: list[int] = []
        enqueued: list[int] = []
        while batch := claim_due(limit=50, on_claimed=enqueued.extend):
            claimed += batch
        assert enqueued == claimed  # enqueued on commit, exactly what was claimed
        return claimed

    per_sweeper = _in_threads(4, sweeper)
    counts = Counter(pk for claimed in per_sweeper for pk in claimed)
    assert len(counts) == 2000 and set(counts.values()) == {1}
    assert all(claimed for claimed in per_sweeper), "every sweeper got a share"
    assert set(ScheduledAction.objects.values_list("status", "attempts")) == {
        (ActionStatus.DISPATCHED, 1)
    }


def test_four_concurrent_deliveries_of_one_action_run_it_once(postgres):
    ScheduledAction.objects.create(kind=ActionKind.PROBE, due_at=timezone.now())
    (pk,) = claim_due(on_claimed=lambda ids: None)
    results = _in_threads(4, lambda: run_action(pk))
    assert Counter(results) == {ActionStatus.DONE: 1, None: 3}
    assert ScheduledAction.objects.get(pk=pk).status == ActionStatus.DONE
