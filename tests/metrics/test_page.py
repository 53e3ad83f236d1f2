import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.releases.models import Release
from tests.factories import UserFactory, user_with
from tests.metrics.history import HISTORY

MARCH = {"start": "2025-03-01", "end": "2025-03-30"}


@pytest.mark.parametrize("role", [Role.LEADERSHIP, Role.RELEASE_MANAGER, Role.SRE])
def test_leadership_rm_and_sre_see_the_page(client, history, role):
    client.force_login(user_with(role))
    response = client.get(reverse("metrics:page"), MARCH)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Change failure rate" in body and "71 %" in body
    assert "INC-3" in body  # the open incident, listed apart
    assert "<svg" in body and "<table" in body
    assert "DORA, Accelerate State of DevOps Report 2023" in body


def test_staff_see_the_page_and_other_roles_are_refused(client, history):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("metrics:page")).status_code == 200
    client.force_login(user_with(Role.QA_LEAD))
    assert client.get(reverse("metrics:page")).status_code == 403


def test_the_nav_links_to_the_metrics_for_everyone_logged_in(client, db):
    client.force_login(user_with(Role.SUPPORT))
    assert reverse("metrics:page") in client.get(reverse("pages:dashboard")).content.decode()


def test_a_bad_custom_period_is_a_message(client, history, leader):
    client.force_login(leader)
    response = client.get(reverse("metrics:page"), {"start": "2025-03-05", "end": "2025-03-01"})
    assert response.status_code == 200
    assert "before the start" in response.content.decode()


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("metrics:page"), params).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_count_does_not_grow_with_history(client, history, leader):
    client.force_login(leader)
    small = _queries(client, MARCH)
    data = json.loads(json.dumps(HISTORY))
    for release in data["releases"]:
        release["version"] += "b"
        release.pop("fixes", None)
        for dep in release["deployments"]:
            dep["started_at"] = dep["started_at"].replace(":00+", ":01+")
    from releasehub.metrics.importer import import_actor, import_history

    data["incidents"] = []
    import_history(data, actor=import_actor())
    assert Release.objects.count() == 10
    assert _queries(client, MARCH) == small


def test_the_csv_lists_the_deployments_and_incidents_behind_the_figures(client, history, leader):
    client.force_login(leader)
    response = client.get(reverse("metrics:deployments_csv"), MARCH)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 7
    assert sum(r["failed"] == "yes" for r in rows) == 5
    incidents = client.get(reverse("metrics:incidents_csv"), MARCH).content.decode()
    assert {"INC-1", "INC-2", "INC-3", "INC-4"} <= {
        r["key"] for r in csv.DictReader(io.StringIO(incidents))
    }


def test_rm_uploads_history_and_others_may_not(client, db, leader):
    from tests.factories import readiness_reference_data, rm

    readiness_reference_data()
    upload = SimpleUploadedFile("h.json", json.dumps(HISTORY).encode(), "application/json")
    client.force_login(leader)
    assert client.post(reverse("metrics:import"), {"file": upload}).status_code == 403
    client.force_login(rm())
    upload.seek(0)
    response = client.post(reverse("metrics:import"), {"file": upload}, follow=True)
    assert "Imported: 5 releases" in response.content.decode()
    assert Release.objects.count() == 5
