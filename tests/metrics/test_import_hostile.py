"""The history import refuses hostile and conflicting files with the JSON path, writes nothing,
and never answers 500 (#14 item 4)."""

import copy
import datetime as dt
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from releasehub.accounts.models import User
from releasehub.core import limits
from releasehub.metrics.history_file import MAX_DEPTH, HistoryError, read_history
from releasehub.metrics.importer import import_actor, import_history
from releasehub.releases.models import Release
from releasehub.rollout.models import Deployment, Incident
from tests.factories import readiness_reference_data, rm
from tests.metrics.history import HISTORY
from tests.metrics.test_import import counts

DEEP = "[" * 100_000


NOTHING = (0, 0, 0, 0, 0)


@pytest.fixture
def catalog(db):
    readiness_reference_data()


@pytest.fixture
def manager(catalog):
    return rm()


def _upload(client, body: bytes | str) -> list[str]:
    """POST the file as the page's form does; the messages shown after the redirect."""
    raw = body.encode() if isinstance(body, str) else body
    upload = SimpleUploadedFile("history.json", raw, "application/json")
    response = client.post(reverse("metrics:import"), {"file": upload})
    assert response.status_code == 302, response.content[:500]
    return [str(m) for m in get_messages(response.wsgi_request)]


def _command(tmp_path, body: bytes | str) -> CommandError:
    path = tmp_path / "history.json"
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    with pytest.raises(CommandError) as error:
        call_command("import_history", str(path), stdout=io.StringIO())
    return error.value


def _with(change) -> str:
    data = copy.deepcopy(HISTORY)
    change(data)
    return json.dumps(data)


def _import(text: str) -> dict[str, int]:
    return import_history(read_history(text), actor=import_actor())


# --- nesting -------------------------------------------------------------------------------


def test_an_upload_of_100000_nested_brackets_is_refused_with_path_and_reason(client, manager):
    client.force_login(manager)
    shown = " ".join(_upload(client, DEEP))
    assert "Nothing imported" in shown
    assert "$" + "[0]" * MAX_DEPTH in shown
    assert f"nested deeper than {MAX_DEPTH} levels" in shown
    assert counts() == NOTHING


def test_the_command_refuses_100000_nested_brackets_without_a_recursion_error(tmp_path, catalog):
    error = _command(tmp_path, DEEP)
    assert f"nested deeper than {MAX_DEPTH} levels" in str(error)
    assert counts() == NOTHING


def test_deep_nesting_names_the_path_where_it_went_too_deep(catalog):
    inner = "[" * 50 + "]" * 50
    text = _with(lambda d: d["releases"][1].update(deployments="@"))
    text = text.replace('"@"', inner)
    with pytest.raises(HistoryError) as error:
        _import(text)
    (path, reason), *_ = error.value.problems
    assert path == "$.releases[1].deployments" + "[0]" * (MAX_DEPTH - 3)
    assert reason == f"nested deeper than {MAX_DEPTH} levels"


def test_keys_and_strings_with_brackets_do_not_count_as_nesting(catalog):
    text = _with(lambda d: d["incidents"][0].update(title="[[[{{{" * 20))
    _import(text)
    assert Incident.objects.get(key="INC-1").title == "[[[{{{" * 20


# --- strings the database cannot hold ---------------------------------------------------------


NUL_VERSION = '{"releases": [{"version": "2025.\\u000099", "kind": "regular",' + (
    ' "window_start": "2025-03-05T10:00:00+05:30"}]}'
)


def test_an_upload_with_a_nul_in_a_string_is_refused_with_its_path(client, manager):
    client.force_login(manager)
    shown = " ".join(_upload(client, NUL_VERSION))
    assert "$.releases[0].version: contains a NUL character" in shown
    assert counts() == NOTHING


def test_a_nul_is_refused_on_postgresql_without_a_data_error(client, manager, postgres):
    # PostgreSQL's text cannot hold NUL: before, this was a 500 (DataError).
    client.force_login(manager)
    text = _with(lambda d: d["incidents"][2].update(title="Token\x00loop"))
    assert "$.incidents[2].title: contains a NUL character" in " ".join(_upload(client, text))
    assert counts() == NOTHING


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["releases"][0].update({"no\x00te": "x"}), "$.releases[0]"),
        (lambda d: d["releases"][3]["rollbacks"][0].update(reason="a\x00b"), "reason"),
        (lambda d: d.update(extra=["x\x00"]), "$.extra[0]"),
    ],
    ids=["key", "rollback-reason", "unread-field"],
)
def test_a_nul_anywhere_is_refused(catalog, change, path):
    with pytest.raises(HistoryError, match=r"contains a NUL character") as error:
        _import(_with(change))
    assert path in str(error.value)
    assert counts() == NOTHING


def test_a_lone_surrogate_is_refused_with_its_path(catalog):
    text = _with(lambda d: d["incidents"][1].update(title="\ud800"))
    with pytest.raises(HistoryError, match=r"\$\.incidents\[1\]\.title: not valid Unicode"):
        _import(text)


# --- other values that used to reach the database or crash ----------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["releases"][0].update(version="v" * 41),
            "$.releases[0].version: longer than 40 characters",
        ),
        (
            lambda d: d["incidents"][0].update(title="t" * 201),
            "$.incidents[0].title: longer than 200 characters",
        ),
        (
            lambda d: d["releases"][3]["rollbacks"][0].update(reason="r" * (limits.NOTE + 1)),
            f"$.releases[3].rollbacks[0].reason: longer than {limits.NOTE} characters",
        ),
        (
            lambda d: d["releases"][0]["deployments"][0].update(target=["identity"]),
            "$.releases[0].deployments[0].target: unknown target",
        ),
        (
            lambda d: d["releases"][3]["rollbacks"][0].update(targets=[{"a": 1}]),
            "$.releases[3].rollbacks[0].targets[0]: unknown target",
        ),
        (
            lambda d: d["releases"][0].update(window_start="0001-01-01T00:00:00+05:30"),
            "$.releases[0].window_start: outside 1 Jan 2000 to 31 Dec 2100",
        ),
        (
            lambda d: d["releases"][0].update(window_start="9999-12-31T23:00:00+00:00"),
            "$.releases[0].window_start: outside 1 Jan 2000 to 31 Dec 2100",
        ),
    ],
    ids=[
        "long-version",
        "long-title",
        "long-reason",
        "list-target",
        "object-target",
        "year-1",
        "year-9999",
    ],
)
def test_values_the_database_cannot_take_are_refused_with_the_path(catalog, change, message):
    with pytest.raises(HistoryError) as error:
        _import(_with(change))
    assert str(error.value).startswith(message)
    assert counts() == NOTHING


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"releases": [' + b"1" * 5000 + b"]}", b"{", b""],
    ids=["not-utf8", "5000-digit-number", "truncated", "empty"],
)
def test_a_file_that_is_not_json_is_a_message(client, manager, body):
    client.force_login(manager)
    shown = " ".join(_upload(client, body))
    assert "Nothing imported" in shown and "$" in shown
    assert counts() == NOTHING


# --- size -------------------------------------------------------------------------------------


@override_settings(HISTORY_IMPORT_MAX_BYTES=2000)
def test_an_upload_over_the_limit_is_refused_with_the_limit(client, manager):
    client.force_login(manager)
    body = json.dumps(HISTORY)
    assert len(body) > 2000
    shown = " ".join(_upload(client, body))
    assert "larger than the import limit of 2.0\xa0KB" in shown
    assert counts() == NOTHING


@override_settings(HISTORY_IMPORT_MAX_BYTES=len(json.dumps(HISTORY)))
def test_an_upload_at_the_limit_is_imported(client, manager):
    client.force_login(manager)
    assert "Imported: 5 releases" in " ".join(_upload(client, json.dumps(HISTORY)))


@override_settings(HISTORY_IMPORT_MAX_BYTES=100_000)
def test_an_oversized_upload_is_not_kept_beyond_the_limit(client, manager, monkeypatch):
    # Django spools a large upload to a temporary file; reading 50 MB of it into memory is
    # what the limit prevents. Count what reaches the spool.
    spooled = []
    keep = TemporaryFileUploadHandler.receive_data_chunk

    def counted(self, raw_data, start):
        spooled.append(len(raw_data))
        return keep(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counted)
    client.force_login(manager)
    shown = " ".join(_upload(client, b" " * (50 * 1024 * 1024)))
    assert "larger than the import limit of 97.7\xa0KB" in shown
    assert sum(spooled) <= 100_000


def test_the_limit_defaults_to_a_few_megabytes(settings):
    assert 1024 * 1024 <= settings.HISTORY_IMPORT_MAX_BYTES <= 20 * 1024 * 1024


# --- the command writes nothing on failure ----------------------------------------------------


def test_a_failed_command_does_not_create_its_user(tmp_path, catalog):
    bad = _with(lambda d: d["releases"][0]["deployments"][0].update(target="nope"))
    _command(tmp_path, bad)
    assert not User.objects.filter(username="history-import").exists()
    assert counts() == NOTHING


# --- conflicts with what is already there -----------------------------------------------------


def _conflicting(d: dict) -> None:
    d["releases"][1]["kind"] = "hotfix"  # 2025.05, a completed regular release
    d["releases"][1]["deployments"][0]["finished_at"] = "2025-03-05T10:21:00+05:30"
    d["incidents"][0]["title"] = "Login errors (renamed)"
    d["incidents"][2]["resolved_at"] = "2025-04-01T10:00:00+05:30"
    d["releases"].append({**d["releases"][0], "version": "2025.99"})  # new: must not be written


CONFLICTS = [
    "$.releases[1].kind: is 'regular' in ReleaseHub, the file says 'hotfix'",
    "$.releases[1].deployments[0].finished_at: is 2025-03-05T10:20:00+05:30 in ReleaseHub, "
    "the file says 2025-03-05T10:21:00+05:30",
    "$.incidents[0].title: is 'Login errors' in ReleaseHub, the file says 'Login errors (renamed)'",
    "$.incidents[2].resolved_at: is none in ReleaseHub, the file says 2025-04-01T10:00:00+05:30",
]


@pytest.fixture
def imported(catalog):
    import_history(copy.deepcopy(HISTORY), actor=import_actor())
    return counts()


def test_a_conflicting_reimport_names_each_conflict_and_the_command_fails(tmp_path, imported):
    error = _command(tmp_path, _with(_conflicting))
    assert error.returncode != 0
    for conflict in CONFLICTS:
        assert conflict in str(error)
    assert counts() == imported
    assert not Release.objects.filter(version="2025.99").exists()
    assert Release.objects.get(version="2025.05").kind == "regular"


def test_the_upload_shows_each_conflict_and_writes_nothing(client, imported):
    client.force_login(rm())
    shown = _upload(client, _with(_conflicting))
    assert shown[0] == "Nothing imported: the file has 4 problems."
    assert shown[1:] == CONFLICTS
    assert counts() == imported


def test_a_long_list_of_problems_is_cut_short_on_the_page(client, imported, monkeypatch):
    monkeypatch.setattr("releasehub.metrics.views.SHOWN_PROBLEMS", 2)
    client.force_login(rm())
    shown = _upload(client, _with(_conflicting))
    assert shown == [shown[0], *CONFLICTS[:2], "… and 2 more."]


@pytest.mark.parametrize(
    ("change", "conflict"),
    [
        (
            lambda d: d["releases"][2]["fixes"].update(version="2025.04"),
            "$.releases[2].fixes.version: is '2025.05' in ReleaseHub, the file says '2025.04'",
        ),
        (
            lambda d: d["releases"][2]["fixes"].update(target="identity"),
            "$.releases[2].fixes.target: is 'payments' in ReleaseHub, the file says 'identity'",
        ),
        (
            lambda d: d["releases"][3].pop("rollbacks"),
            "$.releases[3]: status is 'rolled_back' in ReleaseHub, the file makes it 'completed'",
        ),
        (
            lambda d: d["releases"][3]["rollbacks"][0].update(reason="Latency"),
            "$.releases[3].rollbacks[0].reason: is 'Error rate up' in ReleaseHub, "
            "the file says 'Latency'",
        ),
        (
            lambda d: d["releases"][1]["deployments"][2].update(manual_interventions=4),
            "$.releases[1].deployments[2].manual_interventions: is 0 in ReleaseHub, "
            "the file says 4",
        ),
        (
            lambda d: d["incidents"][0].update(severity="SEV-1"),
            "$.incidents[0].severity: is 'SEV-2' in ReleaseHub, the file says 'SEV-1'",
        ),
        (
            lambda d: d["incidents"][0].update(caused_by=None),
            "$.incidents[0].caused_by: is '2025.05 identity' in ReleaseHub, the file says none",
        ),
    ],
    ids=["fixes-version", "fixes-target", "status", "rollback-reason", "count", "sev", "cause"],
)
def test_each_field_that_differs_is_a_conflict(imported, change, conflict):
    with pytest.raises(HistoryError) as error:
        _import(_with(change))
    assert [f"{p}: {r}" for p, r in error.value.problems] == [conflict]
    assert counts() == imported


def test_a_version_planned_in_releasehub_is_not_overwritten_by_history(catalog):
    from tests.factories import ReleaseFactory

    start = dt.datetime.fromisoformat(HISTORY["releases"][0]["window_start"])
    ReleaseFactory(version="2025.04", window_start=start)
    with pytest.raises(HistoryError) as error:
        _import(json.dumps(HISTORY))
    assert "$.releases[0]: status is 'planned' in ReleaseHub, the file makes it 'completed'" in [
        f"{p}: {r}" for p, r in error.value.problems
    ]
    assert Deployment.objects.count() == 0


def test_the_upload_still_checks_the_csrf_token(catalog):
    # The view reads the body only after installing the size limit, then checks CSRF itself.
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rm())
    upload = SimpleUploadedFile("history.json", json.dumps(HISTORY).encode(), "application/json")
    assert client.post(reverse("metrics:import"), {"file": upload}).status_code == 403
    assert counts() == NOTHING
