"""Start-up configuration, checked in fresh processes so each sees only its own environment."""

import os
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
