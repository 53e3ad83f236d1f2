"""Start-up configuration, checked in fresh processes so each sees only its own environment."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Kq9!vT2#pL8mZ4@wR6^nB3&cY5*hJ1(dF0)gS-_eA+uQ=iO~oPzX",
    "ALLOWED_HOSTS": "releasehub.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    # The parent's settings must not leak in (the browser fixture sets DJANGO_ALLOW_ASYNC_UNSAFE).
    unset = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    unset |= {"PORT", "WEB_PORT", "SITE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "releasehub.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


SETUP = "import django; django.setup()"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "perhaps"),
        ("DATABASE_URL", "nosuchdb://x"),
        ("REDIS_URL", "http://x"),
        ("SECURE_HSTS_SECONDS", "a year"),
        ("LIVE_POLL_SECONDS", "board=0"),
        ("LIVE_POLL_SECONDS", "nosuch=3"),
        ("LIVE_POLL_SECONDS", "board=fast"),
        ("DB_CONN_MAX_AGE", "-1"),
        ("DB_CONN_MAX_AGE", "forever"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    env = {**PRODUCTION, name: value} if name == "SECURE_HSTS_SECONDS" else {name: value}
    result = run(SETUP, **env)
    assert result.returncode != 0
    assert name in result.stderr


def test_production_mode_requires_a_secret_key():
    result = run(SETUP, DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_refuses_a_weak_secret_key():
    result = run(SETUP, **{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mode_passes_the_deploy_checks():
    code = (
        "import sys; from django.core.management import call_command; "
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = run(f"{SETUP}; {code}", **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_display_time_zone_is_ist_and_storage_is_utc(settings):
    assert settings.TIME_ZONE == "Asia/Kolkata"
    assert settings.USE_TZ is True
    assert settings.CELERY_TIMEZONE == "UTC"


def test_empty_values_count_as_unset_so_a_copied_env_example_works():
    result = run(
        f"{SETUP}; from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])",
        DATABASE_URL="",
        REDIS_URL="",
        EMAIL_URL="",
        SECRET_KEY="",
        DEBUG="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


SITE_URL_CODE = f"{SETUP}; from django.conf import settings; print(settings.SITE_URL)"


def _site_url(**env: str) -> str:
    result = run(SITE_URL_CODE, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_the_port_when_it_is_not_set():
    assert _site_url(PORT="18801") == "http://127.0.0.1:18801"


def test_an_explicit_site_url_wins_over_the_port():
    assert (
        _site_url(PORT="18801", SITE_URL="https://releasehub.example.com/")
        == "https://releasehub.example.com"
    )


def test_every_process_of_make_run_links_to_the_port_the_web_process_serves_on():
    """honcho gives each process type its own PORT (web 18801, worker 18901, mailer 19001,
    beat 19101), and the mailer sends the e-mails: every process must link to the web's port."""
    from honcho.environ import expand_processes, parse_procfile

    dry_run = subprocess.run(
        ["make", "--dry-run", "run", "PORT=18801"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry_run.returncode == 0, dry_run.stderr
    words = shlex.split(next(line for line in dry_run.stdout.splitlines() if "honcho" in line))
    # `VAR=value honcho … --port N`: the environment the Makefile gives honcho, and its base port.
    make_env = dict(w.split("=", 1) for w in words[: words.index("honcho")])
    port = int(words[words.index("--port") + 1])
    procfile = parse_procfile((ROOT / "Procfile").read_text())
    processes = expand_processes(procfile.processes, port=port)
    assert {p.name for p in processes} == {"web.1", "worker.1", "mailer.1", "beat.1"}
    assert len({p.env["PORT"] for p in processes}) == 4  # honcho's behaviour, as documented
    for process in processes:
        assert _site_url(**make_env, **process.env) == "http://127.0.0.1:18801", process.name


def test_poll_intervals_can_be_set_one_by_one():
    result = run(
        SETUP + "; from django.conf import settings; print(settings.LIVE_POLL_SECONDS)",
        LIVE_POLL_SECONDS="board=5,smoke=7",
    )
    assert result.returncode == 0, result.stderr
    assert "'board': 5" in result.stdout and "'smoke': 7" in result.stdout
    assert "'go_no_go': 3" in result.stdout


def test_postgresql_connections_are_kept_between_requests_and_checked_before_reuse():
    code = SETUP + (
        "; from django.conf import settings as s; d = s.DATABASES['default']"
        "; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    url = "postgres://postgres@127.0.0.1:5432/releasehub"
    assert run(code, DATABASE_URL=url).stdout.split() == ["60", "True"]
    assert run(code, DATABASE_URL=url, DB_CONN_MAX_AGE="0").stdout.split() == ["0", "True"]
