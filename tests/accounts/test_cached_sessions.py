"""With a shared cache (Redis), a request reads its session without a query, and still: a
logout ends it everywhere, it ends after SESSION_IDLE_HOURS idle, and the row stays the record."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from releasehub.accounts.sessions import CachedSessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached_sessions(settings):
    # Under REDIS_URL this is the engine already; without it the test runs on locmem, which is
    # fine for one process (settings.py never chooses it for the web processes).
    settings.SESSION_ENGINE = "releasehub.accounts.cached_sessions"


@pytest.fixture
def asha():
    return UserFactory(username="asha")


def _session_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]


def test_a_request_reads_its_session_from_the_cache(client, asha):
    client.force_login(asha)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/flags/").status_code == 200
    assert _session_queries(ctx) == []


def test_the_row_is_read_when_the_cache_lost_the_entry(client, asha):
    client.force_login(asha)
    cache.delete(CachedSessionStore.cache_key_prefix + client.session.session_key)
    assert client.get("/flags/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/flags/").status_code == 200
    assert _session_queries(ctx) == []  # filled again by the first request


def test_logging_out_ends_the_session_in_the_cache_too(client, asha):
    client.force_login(asha)
    key = client.session.session_key
    stolen = client.__class__()
    stolen.cookies = client.cookies.__class__(client.cookies)
    assert client.post("/accounts/logout/").status_code == 302
    assert cache.get(CachedSessionStore.cache_key_prefix + key) is None
    response = stolen.get("/flags/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_idle_session_ends_although_the_cache_still_holds_it(client, asha, fixed_clock):
    client.force_login(asha)
    fixed_clock.shift(dt.timedelta(hours=12, minutes=1))
    response = client.get("/flags/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_in_use_is_extended_in_the_row_and_the_cache(client, asha, fixed_clock):
    client.force_login(asha)
    for _ in range(4):
        fixed_clock.shift(dt.timedelta(hours=8))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/flags/").status_code == 200
        assert any(sql.startswith("UPDATE") for sql in _session_queries(ctx))
    with CaptureQueriesContext(connection) as quiet:
        assert client.get("/flags/").status_code == 200
    assert _session_queries(quiet) == []
