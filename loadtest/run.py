"""`make loadtest`: start a throwaway ReleaseHub stack, run the locust scenarios, check invariants.

    LOAD_SECONDS=60 LOAD_SCENARIOS="live mixed crowd" .venv/bin/python loadtest/run.py

The stack: a fresh PostgreSQL database (LOAD_DATABASE_URL, default .../releasehub_load; its name
must contain "load", since it is dropped and created), Redis (LOAD_REDIS_URL, db 12 by default,
never flushed), the Procfile's `web` line (gunicorn, DEBUG off, on a free port,
WEB_CONCURRENCY=2) and its `worker` line. Each scenario then runs headless (loadtest/locustfile.py)
and prints throughput, p50/p95/p99 per request kind and errors; after each, the database
invariants are checked (manage.py loadtest_check). Logs and results go to var/loadtest/.
"""

import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "loadtest"
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
SCENARIOS = os.environ.get("LOAD_SCENARIOS", "live mixed crowd").split()
USERS = {
    "live": int(os.environ.get("LOAD_LIVE_USERS", "500")),
    "mixed": int(os.environ.get("LOAD_MIXED_USERS", "50")),
    "crowd": int(os.environ.get("LOAD_CROWD_READERS", "20")),
}
DATABASE_URL = os.environ.get(
    "LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/releasehub_load"
)
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/12")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}: "):
            return line.split(": ", 1)[1]
    raise SystemExit(f"Procfile has no {name} line")


def recreate_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if "load" not in name:
        raise SystemExit(
            f"LOAD_DATABASE_URL names {name!r}: it is dropped, so its name must say load"
        )
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_URL": "dummymail://",
        "STATIC_ROOT": str(OUT / "static"),
        "PORT": str(port),
        "WEB_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
    }
    manage = [str(BIN / "python"), "manage.py"]

    def run(*args: str) -> None:
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    print(f"loadtest: fresh database {urlsplit(DATABASE_URL).path[1:]}, seeding …", flush=True)
    recreate_database()
    run("migrate", "--noinput")
    run("collectstatic", "--noinput")
    plan = OUT / "plan.json"
    # The demo seed refuses with DEBUG off; it is a throwaway database.
    subprocess.run(
        [*manage, "loadtest_prepare", str(plan)], cwd=ROOT, env={**env, "DEBUG": "1"}, check=True
    )
    processes = []
    try:
        for name in ("web", "worker"):
            # The process keeps the log open; it is closed when the run ends.
            log = (OUT / f"{name}.log").open("w")
            processes.append(
                subprocess.Popen(
                    ["bash", "-c", f"exec {procfile(name)}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        wait_healthy(port)
        print(f"loadtest: web `{procfile('web')}` on port {port}", flush=True)
        failed = False
        for scenario in SCENARIOS:
            failed |= run_scenario(scenario, port, plan, env, manage)
        return 1 if failed else 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it serves (503 without beat: the engine has no recent sweep)
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer on {port}: see {OUT / 'web.log'}")


def run_scenario(scenario: str, port: int, plan: Path, env: dict, manage: list[str]) -> bool:
    users = USERS[scenario]
    results, writes = OUT / f"{scenario}.json", OUT / f"{scenario}-writes.json"
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "loadtest" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--users",
        str(users),
        "--spawn-rate",
        str(max(10, users // 5)),
        "--run-time",
        f"{SECONDS + 300}s",  # a safety stop; the locustfile stops after LOAD_SECONDS
        "--host",
        f"http://127.0.0.1:{port}",
        "--loglevel",
        "WARNING",
    ]
    print(f"\n=== scenario {scenario}: {users} users, {SECONDS} s timed", flush=True)
    print("    " + shlex.join(command), flush=True)
    load_env = {
        **os.environ,
        "LOAD_PLAN": str(plan),
        "LOAD_SCENARIO": scenario,
        "LOAD_SECONDS": str(SECONDS),
        "LOAD_RESULTS": str(results),
        "LOAD_WRITES": str(writes),
        "LOAD_HOST": f"http://127.0.0.1:{port}",
    }
    with open(OUT / f"{scenario}-locust.log", "w") as log:
        subprocess.run(command, cwd=ROOT, env=load_env, stdout=log, stderr=subprocess.STDOUT)
    if not results.exists():
        print(f"    no results: see {OUT / f'{scenario}-locust.log'}")
        return True
    report(json.loads(results.read_text()))
    check = subprocess.run(
        [*manage, "loadtest_check", str(writes)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    print("    " + (check.stdout or check.stderr).strip().replace("\n", "\n    "))
    failures = json.loads(results.read_text())["failures"]
    return check.returncode != 0 or failures > 0


def report(r: dict) -> None:
    print(
        f"    {r['users']} users, {r['seconds']} s: {r['requests']} requests, {r['rps']} req/s, "
        f"p50 {r['p50']} ms, p95 {r['p95']} ms, p99 {r['p99']} ms, {r['failures']} errors"
    )
    columns = ("count", "req/s", "p50", "p95", "p99", "max", "errors")
    print(f"    {'request kind':<34}" + "".join(f"{c:>7}" for c in columns))
    for name, k in r["kinds"].items():
        if not k["requests"]:
            continue  # the sign-ins before the timed part (their statistics were reset)
        print(
            f"    {name:<34}{k['requests']:>7}{k['rps']:>7}{k['p50']:>7}{k['p95']:>7}"
            f"{k['p99']:>7}{k['max']:>7}{k['failures']:>7}"
        )
    for error, count in r["errors"].items():
        print(f"    error x{count}: {error}")
    if crowd := r.get("crowd"):
        print(
            f"    crowd: {crowd['sign_ins']} sign-ins over {crowd['window_s']} s (p50 "
            f"{crowd['sign_in_p50']} ms, max {crowd['sign_in_max']} ms); the others' p95 "
            f"{crowd['others_before_p95']} ms before, {crowd['others_during_p95']} ms during "
            f"(max {crowd['others_during_max']} ms over {crowd['others_during_requests']} requests)"
        )
    print(f"    writes that succeeded: {r['writes']}")


if __name__ == "__main__":
    sys.exit(main())
