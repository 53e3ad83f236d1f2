import pytest

from releasehub.celery import app as celery_app


@pytest.mark.django_db
def test_healthz_reports_database_broker_and_overdue_actions(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "broker": True,
        "overdue_actions": 0,
    }


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] is False
    assert response.json()["status"] == "unavailable"


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
