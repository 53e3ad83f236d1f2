"""The readiness page over HTTP: 403 with nothing changed for a wrong role (plain and htmx),
bad input is a message that writes nothing, fragments for htmx, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.audit.timeline import record_event
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    GoNoGoDecision,
    MeetingRecord,
    RegressionResult,
    SignOff,
    SmokeResult,
    SquadInvolvement,
)
from releasehub.readiness.panels import squad_slot
from releasehub.releases.models import Release
from tests.factories import readiness_release
from tests.readiness.conftest import sign

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}
EVIDENCE = [
    SignOff,
    SquadInvolvement,
    GoNoGoDecision,
    ChecklistItemUpdate,
    SmokeResult,
    RegressionResult,
    MeetingRecord,
]


def url(name, release, *args):
    return reverse(f"readiness:{name}", args=[release.code, *args])


def as_user(client, user):
    client.force_login(user)
    return client


def nothing_written():
    return all(not m.objects.exists() for m in EVIDENCE)


def test_anonymous_users_are_sent_to_log_in(client, release):
    response = client.get(url("page", release))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_everyone_logged_in_reads_the_page(client, release, cast):
    response = as_user(client, cast["arjun"]).get(url("page", release))
    assert response.status_code == 200
    assert b"Go/No-Go" in response.content and b"Record sign-off" not in response.content


def test_a_rep_signs_by_plain_post_and_is_redirected(client, release, cast):
    slot = squad_slot(cast["priya"].squads[0])
    response = as_user(client, cast["priya"]).post(
        url("sign", release), {"slot": slot.key, "decision": "go"}
    )
    assert response.status_code == 302
    assert SignOff.objects.get().actor == cast["priya"]


def test_a_sign_off_by_htmx_returns_the_fragment_and_triggers_the_panel(client, release, cast):
    response = as_user(client, cast["kiran"]).post(
        url("sign", release), {"slot": "sre", "decision": "go"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "readiness-changed"
    assert response.content.decode().lstrip().startswith('<section id="go-no-go-actions"')


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_rep_cannot_sign_for_another_squad_over_http(client, release, cast, headers):
    doctor = squad_slot(cast["rahul"].squads[0])
    response = as_user(client, cast["priya"]).post(
        url("sign", release), {"slot": doctor.key, "decision": "go"}, **headers
    )
    assert response.status_code == 403 and nothing_written()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", ["priya", "neha", "asha", "arjun"])
def test_only_sre_signs_for_sre_over_http(client, release, cast, who, headers):
    response = as_user(client, cast[who]).post(
        url("sign", release), {"slot": "sre", "decision": "go"}, **headers
    )
    assert response.status_code == 403 and nothing_written()


def test_the_signer_cannot_be_forged_through_form_fields(client, release, cast):
    as_user(client, cast["kiran"]).post(
        url("sign", release),
        {"slot": "sre", "decision": "go", "actor": cast["asha"].pk, "signer": "asha"},
    )
    assert SignOff.objects.get().actor == cast["kiran"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("decide", {"decision": "go", "override_reason": "x"}),
        ("involvement", {"squad": "admin", "involved": "no", "reason": "x"}),
        ("meeting", {"attendees": ["asha"], "notes": "x"}),
        ("create", {}),
    ],
)
@pytest.mark.parametrize("who", ["priya", "kiran", "neha", "arjun"])
def test_rm_actions_are_refused_to_others(client, release, cast, who, name, data, headers):
    before = ChecklistItem.objects.count()
    response = as_user(client, cast[who]).post(url(name, release), data, **headers)
    assert response.status_code == 403 and nothing_written()
    assert ChecklistItem.objects.count() == before
    assert Release.objects.get(pk=release.pk).status == Release.Status.PLANNED


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", ["asha", "kiran", "priya", "arjun"])
def test_qa_actions_are_refused_to_others(client, cast, who, headers):
    release = readiness_release(status=Release.Status.VERIFYING)
    login = ChecklistItem.objects.get(release=release, text="Login")
    client = as_user(client, cast[who])
    smoke = client.post(url("smoke", release), {"item": login.code, "outcome": "passed"}, **headers)
    regression = client.post(
        url("regression", release),
        {"suite": "unit", "passed": 1, "failed": 0, "skipped": 0},
        **headers,
    )
    assert smoke.status_code == regression.status_code == 403 and nothing_written()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_checklist_item_is_refused_to_those_who_do_not_own_it(client, release, cast, headers):
    item = ChecklistItem.objects.get(release=release, text__startswith="SRE verified")
    response = as_user(client, cast["priya"]).post(
        url("item_update", release, item.code), {"state": "done"}, **headers
    )
    assert response.status_code == 403 and nothing_written()


def test_an_item_of_another_release_is_refused(client, release, cast):
    other = readiness_release()
    item = ChecklistItem.objects.get(release=other, text__startswith="Release notes")
    response = as_user(client, cast["asha"]).post(
        url("item_update", release, item.code), {"state": "done"}
    )
    assert response.status_code == 403 and nothing_written()


BAD_INPUT = [
    ("kiran", "sign", {"slot": "sre", "decision": "maybe"}),
    ("kiran", "sign", {"slot": "sre", "decision": "no_go", "comment": "  "}),
    ("kiran", "sign", {"slot": "no-such-slot", "decision": "go"}),
    ("kiran", "sign", {}),
    ("asha", "decide", {"decision": "go"}),
    ("asha", "decide", {"decision": "no_go", "reason": "x", "then": "teleport"}),
    ("asha", "decide", {"decision": "no_go", "then": "cancel"}),
    ("asha", "involvement", {"squad": "nope", "involved": "no", "reason": "x"}),
    ("asha", "involvement", {"squad": "admin", "involved": "no"}),
    ("asha", "meeting", {"attendees": ["ghost"]}),
    ("asha", "meeting", {}),
    ("neha", "regression", {"suite": "unit", "passed": -1, "failed": 0, "skipped": 0}),
    ("neha", "regression", {"suite": "unit", "passed": "many", "failed": 0, "skipped": 0}),
    ("neha", "regression", {"suite": "x", "passed": 1, "failed": 0, "skipped": 0}),
    ("neha", "regression", {"suite": "unit", "passed": 1, "failed": 0, "skipped": 0, "link": "no"}),
    ("neha", "smoke", {"item": "not-a-uuid", "outcome": "passed"}),
    ("neha", "smoke", {"item": "00000000-0000-0000-0000-000000000000", "outcome": "passed"}),
]


@pytest.mark.parametrize(("who", "name", "data"), BAD_INPUT)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_bad_input_is_a_message_and_writes_nothing(client, release, cast, who, name, data, headers):
    response = as_user(client, cast[who]).post(url(name, release), data, **headers)
    assert response.status_code == (200 if headers else 400)
    assert b'role="alert"' in response.content
    assert nothing_written()
    assert "HX-Trigger" not in response


def test_bad_item_state_is_a_message(client, release, cast):
    item = ChecklistItem.objects.get(release=release, text__startswith="Release notes")
    for data in [{"state": "finished"}, {"state": "blocked", "reason": ""}]:
        response = as_user(client, cast["asha"]).post(url("item_update", release, item.code), data)
        assert response.status_code == 400 and nothing_written()


def test_go_refused_as_not_ready_is_a_message_listing_why(client, release, cast):
    sign(release, cast["kiran"], "no_go", comment="Terraform drift")
    response = as_user(client, cast["asha"]).post(url("decide", release), {"decision": "go"})
    assert response.status_code == 400
    assert "No-Go from SRE" in response.content.decode()
    assert Release.objects.get(pk=release.pk).status == Release.Status.PLANNED


def test_the_panel_polls_until_release_day_moves_past_go_no_go(client, release, cast):
    client = as_user(client, cast["arjun"])
    assert b'hx-trigger="every 3s' in client.get(url("panel", release)).content
    Release.objects.filter(pk=release.pk).update(status=Release.Status.DEPLOYING)
    response = client.get(url("panel", release))
    assert response.status_code == 200 and b"hx-trigger" not in response.content


def test_the_smoke_panel_polls_during_release_day(client, release, cast):
    client = as_user(client, cast["arjun"])
    assert b"hx-trigger" not in client.get(url("smoke_panel", release)).content
    Release.objects.filter(pk=release.pk).update(status=Release.Status.VERIFYING)
    assert b'hx-trigger="every 3s' in client.get(url("smoke_panel", release)).content


def _grow(release, cast, n):
    """More evidence: sign-offs, scope events, updates; query counts must not follow."""
    for i in range(n):
        sign(release, cast["kiran"], "no_go", comment=f"again {i}")
        record_event(verb="scope.ticket_added", target=release, release=release, summary=str(i))
    item = ChecklistItem.objects.get(release=release, text__startswith="Release notes")
    from releasehub.readiness.services.checklists import checklist_item_update

    for i in range(n):
        checklist_item_update(item=item, actor=cast["asha"], state="done", evidence=str(i))


@pytest.mark.parametrize("name", ["page", "panel", "smoke_panel"])
def test_query_counts_do_not_grow_with_the_evidence(client, release, cast, name, settings):
    # What a reading costs to build: nothing shared from an earlier one (audit.live.shared).
    settings.LIVE_SHARED_SECONDS = 0
    client = as_user(client, cast["asha"])
    client.get(url(name, release))  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(name, release)).status_code == 200
    _grow(release, cast, 5)
    readiness_release()
    readiness_release()
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(name, release)).status_code == 200
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_flags_item_links_to_the_flags_in_scope(client, db):
    from django.urls import reverse

    from releasehub.readiness.services.checklists import checklists_create_for
    from tests.factories import readiness_cast, readiness_release

    people = readiness_cast()
    release = readiness_release()
    checklists_create_for(release)
    client.force_login(people["asha"])
    html = client.get(reverse("readiness:page", args=[release.code])).content.decode()
    assert reverse("flags:for_release", args=[release.code]) in html
