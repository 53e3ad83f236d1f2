"""Real processes for the end-to-end and fault tests: a private redis-server, Celery worker,
mailer and beat subprocesses pointed at the live test database (PostgreSQL only: SQLite's test
database lives in this process's memory), a fake mail server, and libfaketime for a process
whose clock the test moves."""

import datetime as dt
import email
import email.message
import email.policy
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from releasehub.accounts.models import Squad
from releasehub.catalog.models import FrontendApp, Service
from releasehub.catalog.runbook import ensure_catalog
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
    """Redis, and on demand workers, a mailer and beat, all on the test database. Every process
    takes environment overrides (EMAIL_URL to a fake server, a moved clock)."""

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

    def _celery(self, command: str, name: str, env: dict[str, str] | None, *args: str) -> Celery:
        proc = Celery(command, {**self.env, **(env or {})}, self.tmp / f"{name}.log", *args)
        self.processes.append(proc.start())
        return proc

    def worker(
        self,
        queues: str = "schedule,celery,notify",
        clock_ahead: float = 0,
        *,
        name: str = "worker",
        concurrency: int = 2,
        env: dict[str, str] | None = None,
    ) -> Celery:
        """A worker; `clock_ahead` seconds puts its Python clock ahead of this machine's. The
        default consumes every queue; `procfile()` starts the two workers production runs."""
        if clock_ahead:
            env = {**(env or {}), **_skewed_clock(self.tmp, clock_ahead)}
        return self._celery(
            "worker",
            name,
            env,
            "--queues",
            queues,
            "--hostname",
            f"{name}@%h",
            "--concurrency",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )

    def mailer(self, env: dict[str, str] | None = None) -> Celery:
        """The Procfile's `mailer`: deliveries only (the `notify` queue)."""
        return self.worker("notify", name="mailer", env=env)

    def beat(self) -> Celery:
        """Beat with the settings' schedule. Stop it with `.kill()`; call again to restart."""
        return self._celery("beat", "beat", None, "--schedule", str(self.tmp / "beat-schedule"))

    def procfile(self, mailer_env: dict[str, str] | None = None) -> None:
        """The Procfile's processes: `worker` (schedule,celery), `mailer` (notify), `beat`."""
        self.worker("schedule,celery")
        self.mailer(mailer_env)
        self.beat()

    def logs(self) -> str:
        return "\n".join(p.output()[-4000:] for p in {p.log: p for p in self.processes}.values())

    def stop(self) -> None:
        for proc in self.processes:
            proc.kill()
        self.redis.kill()
        # The killed processes' database sessions must be gone before the test database is
        # emptied (TRUNCATE waits for their locks).
        connection.close()


def start_stack(tmp: Path) -> Stack:
    ensure_catalog(Squad, Service, FrontendApp)  # emptied by earlier transactional tests
    return Stack(tmp)


class MovedClock:
    """libfaketime for a subprocess: its clocks (wall and monotonic, its children's too) run
    `offset` seconds ahead of this machine's, read from a file the test advances."""

    def __init__(self, path: Path) -> None:
        libraries = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
        need("libfaketime (Debian package faketime)", bool(libraries))
        self.library, self.path, self.offset = libraries[0], path, 0.0
        self._write()

    def env(self) -> dict[str, str]:
        # NO_CACHE: every clock read sees the file as it is now, not as it was 10 s ago.
        return {
            "LD_PRELOAD": self.library,
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
        }

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._write()

    def now(self) -> dt.datetime:
        """The subprocess's time now."""
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset)

    def _write(self) -> None:
        # Renamed into place: a reader must never see an empty file (offset 0, time going back).
        part = self.path.with_suffix(".part")
        part.write_text(f"+{self.offset:.0f}s\n")
        part.replace(self.path)


class FakeSmtp:
    """A mail server on 127.0.0.1 for the subprocesses. Modes: `up` takes messages (enough SMTP
    for smtplib), `hang` accepts connections and never says a word, `down` refuses them
    (nothing listens on the port)."""

    def __init__(self, mode: str = "up") -> None:
        self.mode = mode
        self.messages: list[email.message.EmailMessage] = []
        self.connections = 0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> "FakeSmtp":
        self.set_mode(self.mode)
        return self

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "down" and self._listener:
            # shutdown wakes the thread blocked in accept(); close alone would not, on Linux.
            self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        elif mode != "down" and not self._listener:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def message_ids(self) -> list[str]:
        with self._lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def stop(self) -> None:
        self.set_mode("down")
        for conn in list(self._open):
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the server went down
            self.connections += 1
            self._open.append(conn)
            if self.mode == "up":
                threading.Thread(target=self._converse, args=(conn,), daemon=True).start()

    def _converse(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 fake ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    data = b"".join(iter(lambda: _data_line(lines), b""))
                    message = email.message_from_bytes(data, policy=email.policy.default)
                    with self._lock:
                        self.messages.append(message)  # type: ignore[arg-type]
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")


def _data_line(lines) -> bytes:
    """The next line of a DATA section, b"" at its end (or when the client went away)."""
    line = lines.readline()
    return b"" if line == b".\r\n" else line
