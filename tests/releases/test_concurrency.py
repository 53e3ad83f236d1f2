"""Two RMs deciding the same request at once leave exactly one decision (real PostgreSQL)."""

import threading

import pytest
from django.db import connection

from releasehub.accounts.models import Squad
from releasehub.audit.models import TimelineEvent
from releasehub.catalog.models import FrontendApp, Service
from releasehub.catalog.runbook import ensure_catalog
from releasehub.releases.models import FreezeExceptionDecision
from releasehub.releases.services.decisions import AlreadyDecided, request_decide
from releasehub.releases.services.freeze import freeze_exception_request
from tests.factories import release_in, rm, user_with

pytestmark = [pytest.mark.clock, pytest.mark.django_db(transaction=True)]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            call()
            results.append("ok")
        except AlreadyDecided:
            results.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(results)


def test_two_rms_approving_one_exception_at_once_leave_one_decision(postgres):
    # A transactional test may follow another that flushed the catalog's migrated rows.
    ensure_catalog(Squad, Service, FrontendApp)
    release = release_in(14)
    exception = freeze_exception_request(
        release=release,
        actor=user_with("squad_rep", "patient"),
        items="PAT-1",
        reason="r",
        risk="r",
        rollback_note="r",
    )
    first, second = rm(), rm()
    results = _race(
        [
            lambda: request_decide(request=exception, actor=first, approve=True, comment="yes"),
            lambda: request_decide(request=exception, actor=second, approve=False, comment="no"),
        ]
    )
    assert results == ["already", "ok"]
    assert FreezeExceptionDecision.objects.count() == 1
    assert TimelineEvent.objects.filter(verb__startswith="freeze.exception_").count() == 2
