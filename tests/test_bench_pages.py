"""The page benchmark and the load test's tools, on a small database (not a load run)."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.pages.management import benchdata
from releasehub.readiness.models import SignOffDecision
from releasehub.readiness.panels import squad_slot
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.models import Release

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_bench_pages_prints_every_page_and_poll_as_a_ratio_to_the_flags_list():
    out = StringIO()
    call_command("bench_pages", runs=1, releases=[0, 3], roles=["rm", "sre"], stdout=out)
    text = out.getvalue()
    assert Release.objects.filter(version__startswith=benchdata.HISTORY_PREFIX).count() == 3
    for row in (
        "flags (trivial)",
        "dashboard",
        "release list",
        "release page (next)",
        "go/no-go (next)",
        "board (live)",
        "timed actions",
        "metrics",
        "changelog",
        "board: changed",
        "go/no-go panel: unchanged",
        "dashboard: changed",
    ):
        assert text.count(f"\n{row:<26}") == 2, row  # once at each size
    flags = next(line for line in text.splitlines() if line.startswith("flags (trivial)"))
    assert " rm " in flags and "1.00x" in flags


def test_bench_pages_refuses_a_database_with_someone_elses_users():
    User.objects.create(username="someone-real")
    with pytest.raises(CommandError, match="real data"):
        call_command("bench_pages", runs=1, stdout=StringIO())
    assert not Release.objects.exists()


def test_a_poll_sends_back_the_version_its_fragment_carries():
    from releasehub.pages.management.commands.bench_pages import poll_version, version_params

    assert poll_version('<div id="x" data-live-since="17@29">') == (
        {},
        {"ReleaseHub-Since": "17@29"},
    )
    assert poll_version('<div hx-get="/x/">') == ({}, {})
    assert version_params("""<div hx-vals='{"since": "42:7"}'>""") == {"since": "42:7"}
    assert version_params('<div hx-vals="{&quot;since&quot;: 9}">') == {"since": "9"}
    assert version_params('<div hx-get="/x/?since=5&amp;a=1">') == {"since": "5", "a": "1"}
    assert version_params('<div hx-get="/x/" hx-vals=\'{"other": 1}\'>') == {}


def _load_world():
    benchdata.seed()
    benchdata.ensure_load_users(1, "load-test-password")
    return benchdata.targets().next, User.objects.get(username="load-rep-patient-000")


def test_invariant_check_counts_the_load_users_rows_against_the_writes_locust_saw():
    release, rep = _load_world()
    since = timezone.now()
    slot = squad_slot(rep.role_assignments.get().squad)
    for n in range(2):
        signoff_record(
            release=release, actor=rep, slot=slot, decision=SignOffDecision.GO, comment=f"load {n}"
        )
    assert benchdata.check_invariants({"signoff": 2, "smoke": 0}, since=since) == []
    assert benchdata.check_invariants({"signoff": 1, "smoke": 0}, since=since) == [
        "signoff: locust saw 1 successful writes, the database has 2"
    ]
    # Rows from before the run (another scenario) do not count.
    later = since + dt.timedelta(hours=1)
    assert benchdata.check_invariants({"signoff": 0, "smoke": 0}, since=later) == []


def test_loadtest_check_command_fails_when_a_write_is_unaccounted_for(tmp_path):
    release, rep = _load_world()
    since = timezone.now()
    signoff_record(
        release=release,
        actor=rep,
        slot=squad_slot(rep.role_assignments.get().squad),
        decision=SignOffDecision.GO,
    )
    writes = tmp_path / "writes.json"
    writes.write_text(json.dumps({"since": since.isoformat(), "counts": {"signoff": 1}}))
    out = StringIO()
    call_command("loadtest_check", str(writes), stdout=out)
    assert "Invariants hold" in out.getvalue()
    writes.write_text(json.dumps({"since": since.isoformat(), "counts": {"signoff": 0}}))
    with pytest.raises(CommandError, match="signoff: locust saw 0"):
        call_command("loadtest_check", str(writes), stdout=StringIO())


def test_loadtest_prepare_writes_a_plan_the_locust_users_can_sign_in_with(tmp_path):
    plan_file = tmp_path / "plan.json"
    call_command("loadtest_prepare", str(plan_file), per_role=2, stdout=StringIO())
    plan = json.loads(plan_file.read_text())
    assert plan["users"]["qa"] == ["load-qa-000", "load-qa-001"]
    user = User.objects.get(username="load-rep-doctor-001")
    assert user.check_password(plan["password"])
    assert plan["slots"]["sre"] == "sre" and plan["smoke_items"]
    assert set(plan["poll"]) >= {"board", "go_no_go", "dashboard"}


def test_web_runs_gthread_workers_in_the_procfile_and_in_compose():
    """A sign-in crowd's PBKDF2 must not hold a worker's other requests (docs/performance.md)."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line[:5] == "web: ")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    for command in (web, compose["command"]):
        assert "--worker-class $" in command and "WEB_WORKER_CLASS:-gthread}" in command
        assert "--threads $" in command
