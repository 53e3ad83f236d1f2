"""Sessions end after SESSION_IDLE_HOURS without a request, and on a password change everywhere
but where it was changed: issue #14, item 2."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-42"


@pytest.fixture
def asha():
    return UserFactory(username="asha")


def test_the_idle_period_is_twelve_hours_by_default():
    assert settings.SESSION_IDLE_HOURS == 12
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_an_idle_session_ends_after_twelve_hours(client, asha, fixed_clock):
    client.force_login(asha)
    assert client.get("/").status_code == 200
    fixed_clock.shift(dt.timedelta(hours=12, minutes=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_in_use_outlives_twelve_hours(client, asha, fixed_clock):
    client.force_login(asha)
    for _ in range(4):
        fixed_clock.shift(dt.timedelta(hours=8))
        assert client.get("/").status_code == 200


def test_the_session_is_written_at_most_every_few_minutes(client, asha, fixed_clock):
    client.force_login(asha)
    fixed_clock.shift(dt.timedelta(minutes=10))
    with CaptureQueriesContext(connection) as refreshed:
        client.get("/")
    with CaptureQueriesContext(connection) as quiet:
        client.get("/")

    def writes(ctx):
        return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]

    assert any("django_session" in sql for sql in writes(refreshed))
    assert not any("django_session" in sql for sql in writes(quiet))


def test_changing_the_password_ends_the_other_sessions(client, asha):
    laptop, phone = client, client.__class__()
    laptop.force_login(asha)
    phone.force_login(asha)
    form = laptop.get("/accounts/password_change/")
    assert form.status_code == 200
    response = laptop.post(
        "/accounts/password_change/",
        {
            "old_password": settings.DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Your password was changed" in response.content.decode()
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_a_wrong_old_password_changes_nothing(client, asha):
    client.force_login(asha)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()
    asha.refresh_from_db()
    assert asha.check_password(settings.DEMO_PASSWORD)


def test_the_header_links_to_the_password_change(client, asha):
    client.force_login(asha)
    assert 'href="/accounts/password_change/"' in client.get("/").content.decode()
