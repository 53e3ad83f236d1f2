"""A stage's own rows (tickets, rollback plans, on-call, dashboards, risks, flags, exceptions,
sent messages, the latest events) are read once per version of the release and shared by
everyone who reads the release at that version (releases/sections.py `prefetch_for`,
audit.live.shared): the second reader pays the version instead of those reads, sees the same
page, and sees a change on the next read."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.releases.clock import default_window
from releasehub.releases.models import Release, RollbackPlan
from releasehub.releases.services.scope import oncall_assign, risk_add, rollback_plan_save
from tests.factories import (
    ReleaseFactory,
    ScopeTicketFactory,
    readiness_reference_data,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = pytest.mark.django_db
# Wednesday 2 January 2030: the release is open whatever instant the suite runs at.
WINDOW = default_window(dt.date(2030, 1, 2))
# What differs between two readings of the same rows: the version stamp, the CSP nonce, the
# CSRF token, the header's clock and the countdowns (the clock ticks between the reads, so one
# may cross a minute at some instants of the week).
STAMP = re.compile(
    r'(data-live-since|nonce|name="csrfmiddlewaretoken" value|datetime)="[^"]*"'
    r'|"X-CSRFToken": "\w+"|(data-ist-clock|data-countdown-to="[^"]*")>[^<]*<'
)
# Per stage, the queries a shared read saves and those the first reader at a version pays on
# top of an unshared read. Every stage shares the exceptions (the freeze banner), the latest
# events and the tickets and plans (the rail's badges); Scope also the risks and flags,
# Readiness on-call, dashboards and the sent messages. Every sharing read pays the version; on
# Freeze the first reader also reads the tickets, their services and apps and the plans where an
# unshared read counts the rail's missing plans in three plain reads.
SHARED = {"readiness": (9, 1), "scope": (8, 1), "freeze": (5, 2)}


@pytest.fixture(autouse=True)
def _shared(settings):
    settings.LIVE_SHARED_SECONDS = settings.LIVE_POLL_MAX_STALE


def save_plan(release, actor, slug: str, previous: str) -> None:
    """A plan through the service: a timeline event, a new version of the release."""
    rollback_plan_save(
        release=release,
        actor=actor,
        component=service(slug),
        strategy="redeploy_container",
        previous=previous,
        steps=f"Redeploy {previous}.",
    )


@pytest.fixture
def manager():
    return rm(username="asha")


@pytest.fixture
def release(manager) -> Release:
    readiness_reference_data()
    release = ReleaseFactory(
        version="2030.01.02", window_start=WINDOW[0], window_end=WINDOW[1], release_manager=manager
    )
    ScopeTicketFactory(
        release=release,
        squad=squad("patient"),
        services=[service("identity"), service("payments")],
        added_by=manager,
    )
    save_plan(release, manager, "identity", "v41")
    risk_add(release=release, actor=manager, description="Payments gateway timeouts")
    return release


def read(client, user, url) -> tuple[str, int]:
    client.force_login(user)
    client.get(reverse("flags:list"))  # the session and the reader's roles, as on any page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return STAMP.sub("", response.content.decode()), len(queries)


@pytest.mark.parametrize("stage", sorted(SHARED))
def test_the_second_reader_at_the_same_version_reads_the_first_ones_rows(
    client, release, manager, settings, stage
):
    url = reverse("pages:stage", args=[release.code, stage])
    settings.LIVE_SHARED_SECONDS = 0
    built_alone, alone = read(client, manager, url)
    settings.LIVE_SHARED_SECONDS = settings.LIVE_POLL_MAX_STALE
    first, building = read(client, manager, url)
    second, shared = read(client, manager, url)
    assert first == second == built_alone
    saved, extra = SHARED[stage]
    assert building == alone + extra, (building, alone)
    assert shared == alone + 1 - saved, (shared, alone)


def test_another_person_reads_the_copy_with_their_own_rights(client, release, manager):
    url = reverse("pages:stage", args=[release.code, "readiness"])
    as_rm, _ = read(client, manager, url)
    as_support, _ = read(client, user_with(Role.SUPPORT), url)
    assert "Redeploy v41." in as_rm and "Redeploy v41." in as_support
    # The plan form is the RM's (can.plan); the copy carries rows, never what a person may do.
    assert 'id="plan-component"' in as_rm
    assert 'id="plan-component"' not in as_support


def test_a_change_through_the_services_is_on_the_next_read(client, release, manager):
    url = reverse("pages:stage", args=[release.code, "readiness"])
    before, _ = read(client, manager, url)
    assert "Still without a rollback plan: <strong>Payments</strong>" in before
    save_plan(release, manager, "payments", "v7")
    sre = user_with(Role.SRE, username="kiran")
    oncall_assign(release=release, actor=manager, role="sre_primary", person=sre)
    after, _ = read(client, manager, url)
    assert "Redeploy v7." in after and "Still without a rollback plan" not in after
    assert "Every changed service and app has a plan." in after
    # The latest events are shared too, under the version their newest one is.
    latest = after.split('id="timeline"', 1)[1]
    assert "Rollback plan for Payments" in latest and "Rollback plan for Payments" not in before


def test_a_row_written_without_an_event_waits_for_the_copy_to_age_out(
    client, release, manager, settings
):
    url = reverse("pages:stage", args=[release.code, "readiness"])
    read(client, manager, url)
    # Never through ReleaseHub's services: no timeline event, no new version. The copy is kept
    # at most LIVE_SHARED_SECONDS; with sharing off the page reads the row at once.
    RollbackPlan.objects.filter(release=release).update(steps="Changed behind our back.")
    kept, _ = read(client, manager, url)
    assert "Changed behind our back." not in kept
    settings.LIVE_SHARED_SECONDS = 0
    fresh, _ = read(client, manager, url)
    assert "Changed behind our back." in fresh
