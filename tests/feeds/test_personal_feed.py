"""A person's own feed: the sign-offs, checklist items and releases they owe, nobody else's."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from releasehub.readiness.models import ChecklistItem, ItemState, Phase
from releasehub.readiness.panels import SRE_SLOT, squad_slot
from releasehub.readiness.services.checklists import checklist_item_assign, checklist_item_update
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.models import Release
from releasehub.releases.services.scope import risk_add
from tests.factories import readiness_cast, readiness_release, rm
from tests.feeds.conftest import UTC, WINDOW, feed_path, utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    return readiness_cast()


@pytest.fixture
def release(cast) -> Release:
    return readiness_release(
        version="2026.12",
        window_start=WINDOW,
        window_end=WINDOW + dt.timedelta(hours=2),
        release_manager=cast["asha"],
    )


def _mine(fetch, secret_for, user) -> dict[str, object]:
    """The person's events by summary."""
    calendar = fetch(secret_for(user), "mine")
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def test_a_squad_rep_sees_their_sign_off_due_at_go_no_go_and_not_others(
    cast, release, fetch, secret_for
):
    mine = _mine(fetch, secret_for, cast["priya"])
    signoff = mine["2026.12: your Go/No-Go sign-off (Patient)"]
    assert utc(signoff) == dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert signoff["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert not any("(Doctor)" in s or "(SRE)" in s for s in mine)
    assert not any("Release Manager" in s for s in mine)


def test_a_given_sign_off_leaves_the_feed_and_comes_back_when_the_scope_changes(
    cast, release, fetch, secret_for
):
    priya = cast["priya"]
    signoff_record(release=release, actor=priya, slot=squad_slot(priya.squads[0]), decision="go")
    assert not any("sign-off" in s for s in _mine(fetch, secret_for, priya))
    assert any("sign-off (Doctor)" in s for s in _mine(fetch, secret_for, cast["rahul"]))
    risk_add(release=release, actor=cast["asha"], description="New risk", mitigation="Watch it")
    again = _mine(fetch, secret_for, priya)["2026.12: your Go/No-Go sign-off (Patient)"]
    assert "scope changed" in str(again["DESCRIPTION"])


def test_sre_sees_their_items_with_due_times_and_not_the_rms(cast, release, fetch, secret_for):
    mine = _mine(fetch, secret_for, cast["kiran"])
    assert "2026.12: your Go/No-Go sign-off (SRE)" in mine
    infra = mine["2026.12: SRE verified infrastructure changes (Terraform, database migrations)"]
    assert utc(infra) == dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # T-48h
    on_call = mine["2026.12: On-call assignments for the release window confirmed"]
    assert utc(on_call) == dt.datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # T-24h meeting
    assert not any("Release notes drafted" in s for s in mine)
    # Computed items are answered by the data (rollback plans), not ticked by SRE.
    assert not any("Rollback plan defined" in s for s in mine)


def test_a_done_item_leaves_the_feed(cast, release, fetch, secret_for):
    kiran = cast["kiran"]
    item = ChecklistItem.objects.get(release=release, text__startswith="SRE verified")
    checklist_item_update(item=item, actor=kiran, state=ItemState.DONE)
    assert not any("SRE verified" in s for s in _mine(fetch, secret_for, kiran))


def test_an_item_named_for_one_person_is_theirs_alone(cast, release, fetch, secret_for):
    item = ChecklistItem.objects.get(release=release, text__startswith="Feature flags reviewed")
    summary = f"2026.12: {item.text}"
    assert summary in _mine(fetch, secret_for, cast["rahul"])  # any squad rep, until named
    checklist_item_assign(item=item, actor=cast["asha"], owner=cast["priya"])
    assert summary in _mine(fetch, secret_for, cast["priya"])
    assert summary not in _mine(fetch, secret_for, cast["rahul"])


def test_the_rm_sees_the_releases_they_manage_and_their_items(cast, release, fetch, secret_for):
    mine = _mine(fetch, secret_for, cast["asha"])
    managed = mine["2026.12: you are the Release Manager"]
    assert utc(managed) == dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert utc(managed, "DTEND") == dt.datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert any("Release notes drafted" in s for s in mine)
    assert not any("sign-off" in s for s in mine)
    assert not _mine(fetch, secret_for, rm(username="ravi"))  # an RM of no release owes nothing


def test_the_personal_feed_costs_the_same_queries_for_one_release_or_five(
    cast, release, client, secret_for
):
    kiran = cast["kiran"]
    secret = secret_for(kiran)
    client.get(feed_path(secret, "mine"))  # stamps last_used_at
    counts = []
    for extra in (0, 4):
        for i in range(extra):
            start = WINDOW + dt.timedelta(days=14 * (i + 1 + len(counts)))
            readiness_release(window_start=start, window_end=start + dt.timedelta(hours=2))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(feed_path(secret, "mine"))
        assert response.content.count(b"sign-off (SRE)") == Release.objects.count()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_smoke_items_are_due_when_the_window_closes(cast, release, fetch, secret_for):
    mine = _mine(fetch, secret_for, cast["neha"])
    smoke = [
        e for s, e in mine.items() if Phase.SMOKE.label.split(" (")[0] in str(e["DESCRIPTION"])
    ]
    assert {str(e["SUMMARY"]) for e in smoke} == {
        "2026.12: Booking flow",
        "2026.12: Login",
        "2026.12: Dashboard load",
    }
    assert {utc(e) for e in smoke} == {WINDOW + dt.timedelta(hours=2)}
    assert SRE_SLOT.label not in " ".join(mine)
