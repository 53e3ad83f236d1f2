"""The Go/No-Go and smoke panels, and the dashboard's cards, are built once per version of the
release's rows and shared by everyone who reads them at that version (audit.live.shared): the
crowd watching a release on release day reads one copy, every change is seen by the next read,
and the services that decide never read the copy."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releasehub.readiness.models import SignOff, SignOffDecision
from releasehub.readiness.panels import go_no_go_state, squad_slot
from tests.readiness.conftest import sign

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

# What differs between two readings of the same rows: the version stamp, the CSP nonce, the
# CSRF token.
STAMP = re.compile(
    r'(data-live-since|nonce|name="csrfmiddlewaretoken" value)="[^"]*"|"X-CSRFToken": "\w+"'
)


@pytest.fixture(autouse=True)
def _shared(settings):
    settings.LIVE_SHARED_SECONDS = settings.LIVE_POLL_MAX_STALE


def read(client, user, url):
    client.force_login(user)
    client.get(url)  # the session and the reader's roles, as on any page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return STAMP.sub("", response.content.decode()), len(queries)


def slot_status(html: str, slot: str) -> str:
    found = re.search(rf'data-slot="{slot}" data-status="(\w+)"', html)
    assert found, f"no row for {slot}"
    return found.group(1)


def test_the_second_reader_at_the_same_version_reads_the_first_ones_panel(client, release, cast):
    sign(release, cast["priya"])
    url = reverse("readiness:panel", args=[release.code])
    client.force_login(cast["asha"])
    with CaptureQueriesContext(connection) as queries:
        first = STAMP.sub("", client.get(url).content.decode())
    built = len(queries)  # now: the next request starts a new log of queries
    second, shared = read(client, cast["kiran"], url)
    assert second == first
    # The 13 queries that build the state are made once; a reader pays the version and the
    # release (and the session and user, which `built` counts too).
    assert shared == built - 13, (shared, built)


def test_a_sign_off_is_on_the_next_read_after_a_shared_one(client, release, cast):
    sign(release, cast["priya"])
    url = reverse("readiness:panel", args=[release.code])
    rahul_slot = squad_slot(cast["rahul"].squads[0]).key
    before, _ = read(client, cast["asha"], url)
    assert slot_status(before, rahul_slot) == "missing"
    sign(release, cast["rahul"])  # through the service: a timeline event, a new version
    after, _ = read(client, cast["kiran"], url)
    assert slot_status(after, rahul_slot) == SignOffDecision.GO


def test_the_rules_read_the_rows_never_the_shared_copy(client, release, cast):
    sign(release, cast["priya"])
    url = reverse("readiness:panel", args=[release.code])
    rahul_slot = squad_slot(cast["rahul"].squads[0])
    read(client, cast["asha"], url)
    # A row that arrives without a timeline event (never through ReleaseHub's services): the
    # pages may show the copy until it ages out, but a decision sees the row at once.
    SignOff.objects.create(
        release=release,
        at=timezone.now(),
        actor=cast["rahul"],
        slot=rahul_slot.key,
        role=rahul_slot.role,
        squad=rahul_slot.squad,
        decision=SignOffDecision.NO_GO,
        comment="found late",
    )
    shown, _ = read(client, cast["kiran"], url)
    assert slot_status(shown, rahul_slot.key) == "missing"
    state = go_no_go_state(release)
    assert "No-Go from " + rahul_slot.label in state.blockers


def test_a_copy_is_not_kept_when_sharing_is_off(client, release, cast, settings):
    settings.LIVE_SHARED_SECONDS = 0
    sign(release, cast["priya"])
    url = reverse("readiness:panel", args=[release.code])
    _, first = read(client, cast["asha"], url)
    _, second = read(client, cast["kiran"], url)
    assert second == first


def test_the_dashboard_is_built_once_per_version_of_everything(client, release, cast, settings):
    sign(release, cast["priya"])
    url = reverse("pages:dashboard")
    client.force_login(cast["asha"])
    settings.LIVE_SHARED_SECONDS = 0
    client.get(url)  # the session, with nothing kept
    settings.LIVE_SHARED_SECONDS = settings.LIVE_POLL_MAX_STALE

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    built, shared = count(), count()
    # The cards' five queries (and the current release's panel, when it shows one) are made
    # once per version of everything.
    assert shared <= built - 5, (shared, built)
    sign(release, cast["rahul"])
    assert count() == built
