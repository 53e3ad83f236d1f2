"""The app connects as a role that owns nothing (docs/security.md, "Database roles"): it cannot
switch off, drop or go around the evidence triggers, and still does all of its own work."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from releasehub.audit.db_roles import grant_sql
from releasehub.audit.timeline import record_event
from releasehub.readiness.models import SignOff
from releasehub.readiness.panels import SRE_SLOT
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.clock import default_window
from releasehub.releases.services.lifecycle import release_move
from tests.audit.test_truncate import EVIDENCE_TABLES
from tests.conftest import need
from tests.factories import next_wednesday, readiness_cast, readiness_release

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _connect(user: str, password: str | None = None) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        dbname=db["NAME"],
        user=user,
        password=password if password is not None else db["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def app_role(django_db_setup, django_db_blocker):
    """A login role granted what `db_roles` grants, committed (another connection logs in as
    it) and dropped afterwards."""
    need("PostgreSQL", ON_POSTGRES)
    name, password = f"releasehub_app_{secrets.token_hex(4)}", secrets.token_hex(8)
    with django_db_blocker.unblock():
        admin = _connect(connection.settings_dict["USER"])
        admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        try:
            for sql in grant_sql(connection, name):
                admin.execute(sql)
            yield name, password
        finally:
            admin.execute(f"DROP OWNED BY {name}")
            admin.execute(f"DROP ROLE {name}")
            admin.close()


def _refusals(table: str) -> list[str]:
    trigger = f"append_only_{table}_update"
    return [
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER {trigger}",
        f"DROP TRIGGER {trigger} ON {table}",
        f"TRUNCATE {table} CASCADE",
        f"UPDATE {table} SET id = id",
        f"DELETE FROM {table}",
        # Replica mode skips triggers: a superuser's switch, not the app's.
        "SET session_replication_role = replica",
        f"ALTER TABLE {table} OWNER TO CURRENT_USER",
    ]


@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_the_app_role_cannot_switch_off_or_empty_the_evidence(app_role, table):
    name, password = app_role
    with _connect(name, password) as app:
        assert app.execute("SELECT current_user").fetchone() == (name,)
        app.execute(f"SELECT count(*) FROM {table}").fetchone()  # it reads the evidence
        for sql in _refusals(table):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
    with _connect(connection.settings_dict["USER"]) as admin:
        states = admin.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        ).fetchall()
    assert states == [("O",)] * 3  # UPDATE, DELETE and TRUNCATE triggers, all still enabled


@pytest.mark.clock
@pytest.mark.django_db
def test_the_apps_own_work_succeeds_as_the_app_role(app_role):
    cast = readiness_cast()
    release = readiness_release()
    with connection.cursor() as cursor:
        # Until the test's transaction ends, this connection has the app role's rights only.
        cursor.execute(f"SET LOCAL ROLE {app_role[0]}")
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (app_role[0],)
    start, end = default_window(next_wednesday(release.window_start.date()))
    release_move(  # UPDATE on the release, its timed actions replanned, a timeline event
        release=release, window_start=start, window_end=end, actor=cast["asha"], reason="infra"
    )
    signoff_record(release=release, actor=cast["kiran"], slot=SRE_SLOT, decision="go")
    record_event(verb="test.note", target=release, release=release, summary="as the app")
    release.refresh_from_db()
    assert release.window_start == start
    assert SignOff.objects.filter(release=release, actor=cast["kiran"]).exists()


@pytest.mark.django_db
def test_db_roles_applies_read_and_append_on_evidence_and_rows_elsewhere(postgres):
    with connection.cursor() as cursor:
        # Inside the test's transaction: the role goes with it.
        cursor.execute("CREATE ROLE releasehub_app_grants_test")
        call_command("db_roles", "--role", "releasehub_app_grants_test", "--apply")

        def may(table: str) -> set[str]:
            cursor.execute(
                "SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE',"
                "'REFERENCES','TRIGGER']) p WHERE has_table_privilege(%s, %s, p)",
                ["releasehub_app_grants_test", table],
            )
            return {p for (p,) in cursor.fetchall()}

        for table in EVIDENCE_TABLES:
            assert may(table) == {"SELECT", "INSERT"}, table
        assert may("releases_release") == {"SELECT", "INSERT", "UPDATE", "DELETE"}
        assert may("django_migrations") == {"SELECT"}
        cursor.execute(  # what tables and sequences the owner creates later will grant
            "SELECT a.defaclobjtype, p.privilege_type FROM pg_default_acl a, "
            "aclexplode(a.defaclacl) p WHERE p.grantee = %s::regrole",
            ["releasehub_app_grants_test"],
        )
        assert set(cursor.fetchall()) == {
            ("r", "SELECT"),
            ("r", "INSERT"),
            ("r", "UPDATE"),
            ("r", "DELETE"),
            ("S", "USAGE"),
        }


@pytest.mark.django_db
def test_db_roles_prints_the_grants(postgres, capsys):
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE releasehub_app_print_test")
    call_command("db_roles", "--role", "releasehub_app_print_test")
    out = capsys.readouterr().out.splitlines()
    role = '"releasehub_app_print_test"'
    assert f'GRANT SELECT, INSERT ON "audit_timelineevent" TO {role};' in out
    assert f'GRANT SELECT, INSERT, UPDATE, DELETE ON "releases_release" TO {role};' in out
    assert out[0].startswith("REVOKE ALL ON ALL TABLES")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "why"), [("postgres", "superuser"), ("releasehub_no_such_role", "no role")]
)
def test_db_roles_refuses_a_role_that_would_not_be_kept_apart(postgres, role, why):
    if role == "postgres" and connection.settings_dict["USER"] != "postgres":
        pytest.skip("the test database's role is not postgres")
    with pytest.raises(CommandError, match=why):
        call_command("db_roles", "--role", role)


@pytest.mark.django_db
def test_db_roles_says_sqlite_has_no_roles():
    if ON_POSTGRES:
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("db_roles")


# Settings and `migrate` in fresh processes, each with only its own environment -------------


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**keep, "DJANGO_SETTINGS_MODULE": "releasehub.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _url(user: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_migrate_logs_in_as_the_owner_and_everything_else_as_the_app(django_db_setup):
    need("PostgreSQL", ON_POSTGRES)
    env = {
        "DATABASE_URL": _url("releasehub_no_such_role"),
        "DATABASE_OWNER_URL": _url(connection.settings_dict["USER"]),
    }
    migrated = _run("manage.py", "migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    app = _run("manage.py", "showmigrations", "audit", **env)
    assert app.returncode != 0
    assert 'role "releasehub_no_such_role" does not exist' in app.stderr


@pytest.mark.parametrize(
    ("database", "owner"),
    [
        ("postgres://app@db:5432/releasehub", "postgres://owner@db:5432/elsewhere"),
        ("postgres://app@db:5432/releasehub", "postgres://owner@other:5432/releasehub"),
        ("sqlite:///:memory:", "postgres://owner@db:5432/releasehub"),
        ("postgres://app@db:5432/releasehub", "postgres://owner@db:port/releasehub"),
    ],
)
def test_an_owner_url_for_another_database_stops_start_up(database, owner):
    result = _run(
        "-c", "import django; django.setup()", DATABASE_URL=database, DATABASE_OWNER_URL=owner
    )
    assert result.returncode != 0
    assert "Environment variable DATABASE_OWNER_URL" in result.stderr


# docker-compose.yml (checked as data; tests/test_compose.py has the rest) --------------------


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_migrates_as_the_owner_and_runs_every_process_as_the_app():
    services = _compose()["services"]
    web = services["web"]
    app = urlparse(web["environment"]["DATABASE_URL"])
    owner = urlparse(web["environment"]["DATABASE_OWNER_URL"])
    assert app.username != owner.username
    assert (app.hostname, app.path) == (owner.hostname, owner.path)
    command = " ".join(web["command"].split())
    migrate, grant = command.index("migrate --noinput"), command.index("db_roles --apply")
    serve = command.index("exec env -u DATABASE_OWNER_URL gunicorn releasehub.wsgi")
    assert migrate < grant < serve
    for name in ("worker", "mailer", "beat"):
        env = services[name]["environment"]
        assert "DATABASE_OWNER_URL" not in env
        assert urlparse(env["DATABASE_URL"]).username == app.username
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["APP_DB_USER"]) == (owner.username, app.username)


def test_the_compose_init_script_makes_a_role_that_owns_nothing():
    need("PostgreSQL", ON_POSTGRES)
    mount = next(v for v in _compose()["services"]["postgres"]["volumes"] if "initdb" in v)
    source, target = mount.split(":")[:2]
    assert target == "/docker-entrypoint-initdb.d"
    [script] = sorted((ROOT / source).glob("*.sh"))
    name, db = f"releasehub_app_{secrets.token_hex(4)}", connection.settings_dict
    env = {
        "POSTGRES_USER": db["USER"],
        "POSTGRES_DB": "postgres",
        "APP_DB_USER": name,
        "APP_DB_PASSWORD": "it's secret",  # a quote, to show the password is quoted
        "PGHOST": db["HOST"] or "",
        "PGPORT": str(db["PORT"] or 5432),
        "PGPASSWORD": db["PASSWORD"] or "",
    }
    result = subprocess.run(
        ["sh", str(script)], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    with _connect(db["USER"]) as admin:
        try:
            attributes = admin.execute(
                "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
                "FROM pg_roles WHERE rolname = %s",
                [name],
            ).fetchone()
        finally:
            admin.execute(f"DROP ROLE IF EXISTS {name}")
    assert attributes == (True, False, False, False, False)
