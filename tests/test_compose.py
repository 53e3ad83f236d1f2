"""docker-compose.yml cannot be started here (no Docker engine); it is checked as data instead."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_compose_runs_the_procfiles_processes_and_both_services():
    services = _compose()["services"]
    assert set(services) == {"web", "worker", "mailer", "beat", "postgres", "redis"}
    assert set(_procfile()) == {"web", "worker", "mailer", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name


def test_compose_commands_match_the_procfile():
    services = _compose()["services"]
    procfile = _procfile()
    assert "gunicorn releasehub.wsgi" in procfile["web"]
    assert "gunicorn releasehub.wsgi" in services["web"]["command"]
    assert "migrate --noinput" in services["web"]["command"]
    for name in ("worker", "beat"):
        assert services[name]["command"].startswith(f"celery --app releasehub {name}")
        assert procfile[name].startswith(f"celery --app releasehub {name}")
    assert services["mailer"]["command"].startswith("celery --app releasehub worker")
    assert procfile["mailer"].startswith("celery --app releasehub worker")


def _queues(command: str) -> set[str]:
    words = command.split()
    return set(words[words.index("--queues") + 1].split(","))


def test_schedule_work_has_a_worker_of_its_own_and_delivery_another():
    """A hung mail server occupies the mailer's processes only: sweeps and executors go on."""
    services = _compose()["services"]
    procfile = _procfile()
    for command in (procfile["worker"], services["worker"]["command"]):
        assert _queues(command) == {"schedule", "celery"}
    for command in (procfile["mailer"], services["mailer"]["command"]):
        assert _queues(command) == {"notify"}


def test_compose_uses_postgres_15_or_newer_with_a_named_volume():
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert int(postgres["image"].split(":")[1]) >= 15
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    env = compose["services"]["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://redis:")
