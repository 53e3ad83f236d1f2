"""The timed-action engine: claim due rows, run each once, recover what a crash left behind.

    pending --claim_due()--> dispatched --run_action()--> done | skipped | superseded
                                 |  lease expired: recover_expired_leases() --> pending
                                 |  failed MAX_ATTEMPTS times --> failed

Exactly once comes from the database, never from the broker: claiming is a row lock that
skips rows another sweeper holds; running locks the release, then the row, re-checks that the
row is still dispatched and of the release's current schedule version, and marks it done in
the same transaction as its effect. A duplicate message, a second beat or a second sweeper
finds the row no longer claimable or no longer dispatched and does nothing. A lost message or
a killed worker leaves the row dispatched; its lease expires and the recovery sweep returns it.

Every time here is the database's (schedule.clock.db_now, read once per run): beat, workers and
the database may disagree about the time, and only the database is shared by all of them.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable

from celery import current_app
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from releasehub.audit.timeline import record_event
from releasehub.releases.models import Release
from releasehub.schedule import clock
from releasehub.schedule.effects import EFFECTS, back_merge_confirmed
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction, SweepMark
from releasehub.schedule.planning import (
    KINDS_A_RELEASE_CANNOT_CANCEL,
    ensure_quarterly_runbook_review,
    plan_next_back_merge_reminder,
)

log = logging.getLogger(__name__)

# How long a claimed row belongs to its message before the recovery sweep (every 5 s) takes it
# back. An effect takes milliseconds and the `schedule` queue is never behind deliveries, so 20 s
# covers a busy worker, and a lost message is re-run 20-25 s later. It is never run twice: the
# executor locks the row and acts only on a dispatched one, recovery skips locked rows, and a
# late original message finds the row pending or done. A lease that expires under a backlog
# costs one attempt (MAX_ATTEMPTS) and a duplicate message, nothing more.
LEASE = dt.timedelta(seconds=20)
# After an effect raised, the row waits this long times 2**attempts before its next attempt.
RETRY_BACKOFF = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5
CLAIM_BATCH = 500
# One sweep claims batches until nothing is due or this much time went by (backlog after an
# outage): the next beat tick continues.
SWEEP_BUDGET_SECONDS = 0.5
# A sweep that finds another one started less than this ago returns at once: after an outage
# the broker holds one sweep message per missed beat tick, and they cost one pass, not hundreds.
# Below the beat period (1 s), so regular ticks always sweep.
SWEEP_DEDUPLICATE = dt.timedelta(seconds=0.5)
RECOVERY_DEDUPLICATE = dt.timedelta(seconds=2.5)  # recovery runs every 5 s


def enqueue_actions(ids: list[int]) -> None:
    """Publish `run_action(id)` for claimed rows. Called on commit of the claim."""
    # By name: the tasks module calls this one, so importing it here would make a loop.
    try:
        for pk in ids:
            current_app.send_task("schedule.run_action", args=(pk,))
    except Exception:
        # The rows stay dispatched; their lease expires and the recovery sweep returns them.
        log.exception("could not enqueue %d timed actions; recovery will retry", len(ids))


def claim_due(
    *,
    now: dt.datetime | None = None,
    limit: int = CLAIM_BATCH,
    on_claimed: Callable[[list[int]], None] = enqueue_actions,
) -> list[int]:
    """Mark up to `limit` due rows dispatched with a lease; enqueue them once this commits."""
    now = now or clock.db_now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A claim may be lost in a database crash without harm (the row is pending again
            # and its message finds it not dispatched), so it need not wait for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        # SKIP LOCKED: concurrent sweepers split the due rows instead of waiting for each other
        # (on SQLite a no-op: its writers are serialised by BEGIN IMMEDIATE).
        ids = list(
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(status=ActionStatus.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        ScheduledAction.objects.filter(pk__in=ids, status=ActionStatus.PENDING).update(
            status=ActionStatus.DISPATCHED,
            attempts=F("attempts") + 1,
            lease_expires_at=now + LEASE,
        )
        transaction.on_commit(lambda: on_claimed(ids))
    return ids


# The last pass of each sweep this worker process finished: (started at, seconds). It is written
# with the process's next mark, so timing sweeps for /-/metrics costs no write of its own.
_finished_passes: dict[str, tuple[dt.datetime, float]] = {}


def _first_sweep_in_a_while(name: str, within: dt.timedelta) -> dt.datetime | None:
    """Mark sweep `name` as running now unless one ran `within` ago; its start, or None.

    A guarded UPDATE (autocommit, so it holds no lock during the sweep), or the INSERT of the
    row the first time; a concurrent first insert loses on the primary key. A mark in the
    future (the database clock was set back) does not stop sweeps."""
    now = clock.db_now()
    report = {}
    if name in _finished_passes:
        at, seconds = _finished_passes[name]
        report = {"last_pass_at": at, "last_pass_seconds": seconds}
    recent = {"ran_at__gt": now - within, "ran_at__lte": now}
    if SweepMark.objects.filter(name=name).exclude(**recent).update(ran_at=now, **report):
        return now
    try:
        with transaction.atomic():
            SweepMark.objects.create(name=name, ran_at=now, **report)
    except IntegrityError:
        return None  # the row exists and is recent: another sweep just ran
    return now


def _pass_finished(name: str, started_at: dt.datetime, started: float) -> None:
    _finished_passes[name] = (started_at, time.monotonic() - started)


def sweep(*, on_claimed: Callable[[list[int]], None] = enqueue_actions) -> int:
    """The beat's one-second job: claim everything due, batch after batch, within a budget."""
    started = time.monotonic()
    started_at = _first_sweep_in_a_while("schedule.sweep", SWEEP_DEDUPLICATE)
    if started_at is None:
        return 0
    claimed = 0
    while True:
        batch = claim_due(on_claimed=on_claimed)
        claimed += len(batch)
        if len(batch) < CLAIM_BATCH or time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
    _pass_finished("schedule.sweep", started_at, started)
    return claimed


def _finish(action: ScheduledAction, status: str, now: dt.datetime, note: str = "") -> None:
    action.status = status
    action.finished_at = now
    action.lease_expires_at = None
    action.note = note or action.note
    if status in (ActionStatus.DONE, ActionStatus.SKIPPED):
        action.fired_at = now
    action.save(update_fields=["status", "finished_at", "lease_expires_at", "note", "fired_at"])


def _continue_series(action: ScheduledAction, now: dt.datetime) -> None:
    # Back-merge reminders repeat until the back-merge is confirmed: each plans the next.
    if (
        action.kind == ActionKind.BACK_MERGE_REMINDER
        and action.release is not None
        and not back_merge_confirmed(action.release)
    ):
        plan_next_back_merge_reminder(action, now)


def run_action(action_id: int) -> str | None:
    """Apply one claimed action exactly once. Returns its final status, or None if the row was
    not ours to run (a duplicate delivery, or superseded/cancelled since it was claimed)."""
    release_id = (
        ScheduledAction.objects.filter(pk=action_id).values_list("release_id", flat=True).first()
    )
    with transaction.atomic():
        # Release first, then the row: the order every planner uses, so no deadlock.
        release: Release | None = None
        if release_id is not None:
            # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join.
            release = (
                Release.objects.select_for_update(of=("self",))
                .select_related("release_manager")
                .filter(pk=release_id)
                .first()
            )
        action = (
            ScheduledAction.objects.select_for_update(of=("self",))
            .select_related("service")
            .filter(pk=action_id)
            .first()
        )
        if action is None or action.status != ActionStatus.DISPATCHED:
            log.info("timed action %s is not dispatched; duplicate delivery ignored", action_id)
            return None
        action.release = release
        now = clock.db_now()
        if (
            release is not None
            and action.kind not in KINDS_A_RELEASE_CANNOT_CANCEL
            and action.schedule_version != release.schedule_version
        ):
            _finish(action, ActionStatus.SUPERSEDED, now, "Planned for an older schedule.")
            return ActionStatus.SUPERSEDED
        late = now - action.due_at
        if action.grace is not None and late > action.grace:
            _skip(action, now, late)
            return ActionStatus.SKIPPED
        # Done first, effect second, one transaction: an effect that replans the release
        # (completing it, say) no longer sees this row as live.
        _finish(action, ActionStatus.DONE, now)
        note = EFFECTS[action.kind](action)
        if note:
            ScheduledAction.objects.filter(pk=action.pk).update(note=note)
            action.note = note
        _continue_series(action, now)
    return ActionStatus.DONE


def _skip(action: ScheduledAction, now: dt.datetime, late: dt.timedelta) -> None:
    grace = action.grace or dt.timedelta(0)  # only rows with a grace are skipped
    note = f"Skipped: {_human(late)} late, past its grace of {_human(grace)}."
    _finish(action, ActionStatus.SKIPPED, now, note)
    log.warning("timed action %s (%s) skipped: %s", action.pk, action.kind, note)
    record_event(
        verb="schedule.skipped",
        target=action,
        release=action.release,
        summary=f"{action.get_kind_display()} skipped: {_human(late)} late",
        reason=note,
    )
    _continue_series(action, now)


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def action_failed(action_id: int, error: str) -> None:
    """The effect raised (and rolled back). Keep the row dispatched with a lease that grows with
    the attempts, so the recovery sweep retries it later; give up after MAX_ATTEMPTS."""
    now = clock.db_now()
    with transaction.atomic():
        action = (
            ScheduledAction.objects.select_for_update()
            .filter(pk=action_id, status=ActionStatus.DISPATCHED)
            .first()
        )
        if action is None:
            return
        action.note = f"Attempt {action.attempts} failed: {error}"[:2000]
        if action.attempts >= MAX_ATTEMPTS:
            _finish(action, ActionStatus.FAILED, now, action.note)
            log.error("timed action %s failed for good: %s", action_id, error)
            return
        action.lease_expires_at = now + RETRY_BACKOFF * 2**action.attempts
        action.save(update_fields=["note", "lease_expires_at"])


def recover_expired_leases(*, now: dt.datetime | None = None, limit: int = CLAIM_BATCH) -> int:
    """Return dispatched rows whose lease expired (killed worker, lost message) to pending."""
    now = now or clock.db_now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A claim may be lost in a database crash without harm (the row is pending again
            # and its message finds it not dispatched), so it need not wait for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        # SKIP LOCKED: a row an executor holds right now is running, not lost.
        rows = list(
            ScheduledAction.objects.select_for_update(skip_locked=True)
            .filter(status=ActionStatus.DISPATCHED, lease_expires_at__lt=now)
            .values_list("pk", "attempts")[:limit]
        )
        retry = [pk for pk, attempts in rows if attempts < MAX_ATTEMPTS]
        give_up = [pk for pk, attempts in rows if attempts >= MAX_ATTEMPTS]
        ScheduledAction.objects.filter(pk__in=retry, status=ActionStatus.DISPATCHED).update(
            status=ActionStatus.PENDING, lease_expires_at=None
        )
        ScheduledAction.objects.filter(pk__in=give_up, status=ActionStatus.DISPATCHED).update(
            status=ActionStatus.FAILED,
            lease_expires_at=None,
            finished_at=now,
            note=f"Gave up after {MAX_ATTEMPTS} attempts.",
        )
    if rows:
        log.warning("recovered %d timed actions, %d failed for good", len(retry), len(give_up))
    return len(retry)


def recovery_sweep() -> int:
    """The beat's slower job: expired leases, and the next quarterly runbook review."""
    started = time.monotonic()
    started_at = _first_sweep_in_a_while("schedule.recover", RECOVERY_DEDUPLICATE)
    if started_at is None:
        return 0
    recovered = recover_expired_leases()
    ensure_quarterly_runbook_review()
    _pass_finished("schedule.recover", started_at, started)
    return recovered


@transaction.atomic
def action_retry(action: ScheduledAction, *, actor) -> bool:
    """SRE/staff: give a failed action another round of attempts (it stays a manual act)."""
    changed = ScheduledAction.objects.filter(pk=action.pk, status=ActionStatus.FAILED).update(
        status=ActionStatus.PENDING, attempts=0, finished_at=None
    )
    if changed:
        record_event(
            verb="schedule.retried",
            target=action,
            release=action.release,
            actor=actor,
            summary=f"{action.get_kind_display()} retried by hand",
        )
    return bool(changed)
