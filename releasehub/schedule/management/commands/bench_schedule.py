"""`manage.py bench_schedule`: the timed-action engine for real, measured.

Starts a private redis-server, the two Celery workers (queues as in the Procfile) and beat,
plans probe actions due over a minute, and reports their lateness (fired minus due). Then fills
the table with pending rows and times the sweeper's claim query. It writes only PROBE rows with
no release, and deletes them when it is done. See docs/performance.md.
"""

import datetime as dt
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction, SweepMark
from releasehub.schedule.services import claim_due

BENCH_NOTE = "bench_schedule"
FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Command(BaseCommand):
    help = "Run worker, beat and Redis for real; report timed-action lateness and sweep time."

    def add_arguments(self, parser):
        parser.add_argument("--actions", type=int, default=240, help="probe actions to fire")
        parser.add_argument("--spread", type=float, default=60.0, help="seconds they are due over")
        parser.add_argument("--pending", type=int, default=100_000, help="rows to sweep over")
        parser.add_argument("--sweeps", type=int, default=200, help="sweeps to time")
        parser.add_argument("--redis-port", type=int, default=6391)
        parser.add_argument("--concurrency", type=int, default=4)

    def handle(self, *args, **opts):
        if not shutil.which("redis-server"):
            raise CommandError("bench_schedule needs redis-server on PATH.")
        self._cleanup()
        tmp = Path(tempfile.mkdtemp(prefix="bench_schedule-"))
        procs: list[subprocess.Popen] = []
        try:
            redis_url = self._start_redis(opts["redis_port"], procs)
            env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url}
            env["EMAIL_URL"] = "dummymail://"
            self._start_celery(env, tmp, procs, opts["concurrency"])
            self._warm_up()
            lateness = self._fire(opts["actions"], opts["spread"])
            last_pass = SweepMark.objects.filter(name="schedule.sweep").first()
        finally:
            for proc in reversed(procs):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(20)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
            self._cleanup()
        self._report_lateness(lateness)
        if last_pass and last_pass.last_pass_seconds is not None:
            self.stdout.write(
                f"last sweep pass the worker reported (/-/metrics "
                f"releasehub_sweep_duration_seconds): {last_pass.last_pass_seconds * 1000:.2f} ms"
            )
        try:
            self._time_sweeps(opts["pending"], opts["sweeps"])
        finally:
            self._cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    # Processes ----------------------------------------------------------------------------

    def _start_redis(self, port: int, procs: list) -> str:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise CommandError(f"Port {port} is taken; pass --redis-port.")
        procs.append(
            subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.05)
        raise CommandError("redis-server did not start.")

    def _start_celery(self, env: dict, tmp: Path, procs: list, concurrency: int) -> None:
        base = [sys.executable, "-m", "celery", "--app", "releasehub"]
        commands = {
            # The Procfile's two workers: timed actions never wait behind deliveries.
            "worker": [
                *base,
                "worker",
                "--loglevel",
                "WARNING",
                "--queues",
                "schedule,celery",
                "--hostname",
                "worker@%h",
                "--concurrency",
                str(concurrency),
            ],
            "mailer": [
                *base,
                "worker",
                "--loglevel",
                "WARNING",
                "--queues",
                "notify",
                "--hostname",
                "mailer@%h",
                "--concurrency",
                "1",
            ],
            "beat": [*base, "beat", "--loglevel", "WARNING", "--schedule", str(tmp / "beat")],
        }
        for name, command in commands.items():
            log = (tmp / f"{name}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    command,
                    cwd=settings.BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        self.stdout.write(
            f"worker (queues schedule,celery; concurrency {concurrency}), mailer (queue notify) "
            f"and beat started; logs in {tmp}"
        )

    # Lateness -----------------------------------------------------------------------------

    def _probes(self):
        return ScheduledAction.objects.filter(kind=ActionKind.PROBE, note=BENCH_NOTE)

    def _wait_done(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        rows = ScheduledAction.objects.filter(pk__in=ids)
        while time.monotonic() < deadline:
            if not rows.exclude(status=ActionStatus.DONE).exists():
                return
            time.sleep(0.25)
        left = rows.exclude(status=ActionStatus.DONE).count()
        raise CommandError(f"{left} of {len(ids)} probe actions did not fire in time.")

    def _create(self, due: list[dt.datetime]) -> list[int]:
        rows = ScheduledAction.objects.bulk_create(
            ScheduledAction(kind=ActionKind.PROBE, due_at=d, grace=None, note=BENCH_NOTE)
            for d in due
        )
        return [r.pk for r in rows]

    def _warm_up(self) -> None:
        ids = self._create([timezone.now()])
        self._wait_done(ids, 60)
        self._probes().delete()

    def _fire(self, count: int, spread: float) -> list[float]:
        start = timezone.now() + dt.timedelta(seconds=3)
        step = spread / max(count - 1, 1)
        due = [start + dt.timedelta(seconds=i * step) for i in range(count)]
        self.stdout.write(f"{count} probe actions due over {spread:.0f} s ...")
        ids = self._create(due)
        self._wait_done(ids, spread + 60)
        rows = ScheduledAction.objects.filter(pk__in=ids).values_list("due_at", "fired_at")
        return [(fired - due).total_seconds() for due, fired in rows if fired is not None]

    def _report_lateness(self, lateness: list[float]) -> None:
        self.stdout.write(
            f"lateness (fired - due) over {len(lateness)} actions: "
            f"p50 {percentile(lateness, 50):.3f} s, p99 {percentile(lateness, 99):.3f} s, "
            f"max {max(lateness):.3f} s"
        )

    # Sweep time ---------------------------------------------------------------------------

    def _time_sweeps(self, pending: int, sweeps: int) -> None:
        self.stdout.write(f"inserting {pending} pending rows ...")
        batch = 10_000
        for offset in range(0, pending, batch):
            ScheduledAction.objects.bulk_create(
                ScheduledAction(
                    kind=ActionKind.PROBE,
                    due_at=FAR_FUTURE + dt.timedelta(seconds=i),
                    note=BENCH_NOTE,
                )
                for i in range(offset, min(offset + batch, pending))
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE schedule_scheduledaction")
        # Every sweep finds 5 rows due among the pending ones: claims them and commits.
        times: list[float] = []
        for _ in range(sweeps):
            now = timezone.now()
            self._create([now - dt.timedelta(microseconds=i) for i in range(1, 6)])
            started = time.perf_counter()
            claimed = claim_due(now=now, on_claimed=lambda ids: None)
            times.append((time.perf_counter() - started) * 1000)
            assert len(claimed) == 5
        empty: list[float] = []
        for _ in range(sweeps):
            started = time.perf_counter()
            claim_due(on_claimed=lambda ids: None)
            empty.append((time.perf_counter() - started) * 1000)
        total = ScheduledAction.objects.filter(status=ActionStatus.PENDING).count()
        self.stdout.write(
            f"sweep with {total} pending rows ({connection.vendor}), 5 due: "
            f"mean {statistics.mean(times):.2f} ms, p50 {percentile(times, 50):.2f} ms, "
            f"p99 {percentile(times, 99):.2f} ms; nothing due: p50 {percentile(empty, 50):.2f} ms"
        )

    def _cleanup(self) -> None:
        self._probes().delete()
