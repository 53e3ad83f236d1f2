"""Real processes for the end-to-end and fault tests: a private redis-server, Celery worker and
beat subprocesses pointed at the live test database (PostgreSQL only: SQLite's test database
lives in this process's memory)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
# Never 6379: that Redis belongs to the developer or CI, and these tests kill theirs.
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6390"))


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class RedisServer:
    def __init__(self, port: int = REDIS_PORT) -> None:
        need("redis-server", shutil.which("redis-server") is not None)
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def _reachable(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def start(self) -> "RedisServer":
        assert not self._reachable(), f"something already listens on port {self.port}"
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._reachable, 10), "redis-server did not start"
        return self

    def kill(self) -> None:
        """SIGKILL without persistence: every queued and unacknowledged message is lost."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        assert wait_for(lambda: not self._reachable(), 10)

    def restart(self) -> None:
        self.kill()
        self.start()


class Celery:
    """`celery --app releasehub worker|beat` in its own process group (SIGKILL hits all)."""

    def __init__(self, command: str, env: dict[str, str], log: Path, *args: str) -> None:
        self.command, self.env, self.log, self.args = command, env, log, args
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Celery":
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "releasehub",
                self.command,
                "--loglevel",
                "INFO",
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(20)
        self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _skewed_clock(tmp: Path, seconds: float) -> dict[str, str]:
    """Environment for a subprocess whose every clock read (its prefork children's too) is
    `seconds` ahead: a sitecustomize that starts a ticking time-machine travel at startup."""
    site = tmp / f"skew{int(seconds)}"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(
        "import time, time_machine\n"
        f"time_machine.travel(time.time() + {seconds!r}, tick=True).start()\n"
    )
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}


class Stack:
    """Redis, and on demand a worker and beat, all on the test database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis = RedisServer().start()
        self.mail_dir = tmp / "mail"
        self.mail_dir.mkdir()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"filemail:///{self.mail_dir}",
            "DJANGO_SETTINGS_MODULE": "releasehub.settings",
        }
        self.processes: list[Celery] = []

    def worker(self, queues: str = "schedule,celery,notify", clock_ahead: float = 0) -> Celery:
        """A worker; `clock_ahead` seconds puts its Python clock ahead of this machine's."""
        env = self.env
        if clock_ahead:
            env = {**env, **_skewed_clock(self.tmp, clock_ahead)}
        proc = Celery(
            "worker",
            env,
            self.tmp / "worker.log",
            "--queues",
            queues,
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ).start()
        self.processes.append(proc)
        return proc

    def beat(self) -> Celery:
        proc = Celery(
            "beat", self.env, self.tmp / "beat.log", "--schedule", str(self.tmp / "beat-schedule")
        ).start()
        self.processes.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(p.output()[-4000:] for p in {p.log: p for p in self.processes}.values())

    def stop(self) -> None:
        for proc in self.processes:
            proc.kill()
        self.redis.kill()
        # The killed processes' database sessions must be gone before the test database is
        # emptied (TRUNCATE waits for their locks).
        connection.close()
