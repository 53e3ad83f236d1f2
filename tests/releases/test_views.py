"""The release pages over HTTP: who may do what (403 and nothing changes), bad input is a
message on the form, htmx gets fragments and a plain post gets a redirect."""

import datetime as dt

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.releases.clock import default_window
from releasehub.releases.models import (
    FlagChange,
    FreezeException,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    HotfixFollowUp,
    MonitoringDashboard,
    OnCallAssignment,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
)
from releasehub.releases.services.freeze import freeze_exception_request
from releasehub.releases.services.hotfix import hotfix_create
from releasehub.releases.services.lifecycle import release_freeze
from tests.factories import (
    ScopeTicketFactory,
    TrainFactory,
    release_in,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def people():
    return {
        "rm": rm(username="asha"),
        "rm2": rm(username="vikram"),
        "patient_rep": user_with(Role.SQUAD_REP, "patient", username="priya"),
        "doctor_rep": user_with(Role.SQUAD_REP, "doctor", username="rahul"),
        "sre": user_with(Role.SRE, username="kiran"),
        "qa": user_with(Role.QA_LEAD, username="neha"),
        "leader": user_with(Role.LEADERSHIP, username="arjun"),
    }


@pytest.fixture
def release(people):
    release = release_in(14, version="2030.01.01", release_manager=people["rm"])
    ScopeTicketFactory(
        release=release, key="PAT-1", services=[service("appointments")], added_by=people["rm"]
    )
    MonitoringDashboard.objects.create(
        release=release, name="Errors", url="https://g.example.com/d/1", added_by=people["rm"]
    )
    return release


@pytest.fixture
def exception(release, people):
    return freeze_exception_request(
        release=release,
        actor=people["rm"],
        items="PAT-2",
        reason="r",
        risk="r",
        rollback_note="r",
    )


@pytest.fixture
def hotfix(people):
    start = default_window(dt.date.today() + dt.timedelta(days=30))[0]
    return hotfix_create(
        actor=people["rm"],
        version="2030.01.02-hf1",
        window_start=start,
        window_end=start + dt.timedelta(hours=1),
        production_tag="2030.01.01",
        problem="p",
        incident_url="https://i.example.com/1",
        branch="hotfix/x",
        risk_assessment="low",
        tests_run="t",
        tests_result="passed",
        supervising_sre=people["sre"],
    )


MODELS = [
    Release,
    ScopeTicket,
    Risk,
    FlagChange,
    OnCallAssignment,
    MonitoringDashboard,
    RollbackPlan,
    FreezeException,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    HotfixFollowUp,
    TimelineEvent,
]


def snapshot():
    releases = list(
        Release.objects.order_by("pk").values_list(
            "status", "window_start", "release_manager", "schedule_version"
        )
    )
    tickets = list(ScopeTicket.objects.order_by("pk").values_list("merged", "ci_passing"))
    boards = list(MonitoringDashboard.objects.values_list("validated_at", flat=True))
    return [m.objects.count() for m in MODELS], releases, tickets, boards


def _ticket(release):
    return release.tickets.get(key="PAT-1")


# (url name, args from (release, exception, hotfix), POST data, who is refused)
REFUSED = [
    ("ticket_add", "r", {"key": "PAT-7", "title": "t", "squad": "patient"}, "qa"),
    ("ticket_add", "r", {"key": "PAT-7", "title": "t", "squad": "patient"}, "doctor_rep"),
    ("ticket_update", "rt", {"merged": "on"}, "doctor_rep"),
    ("ticket_remove", "rt", {"reason": "x"}, "doctor_rep"),
    ("risk_add", "r", {"description": "d"}, "qa"),
    ("flag_add", "r", {"name": "f", "default_state": "off"}, "leader"),
    ("oncall_assign", "r", {"role": "backend", "person": "priya"}, "patient_rep"),
    ("dashboard_add", "r", {"name": "n", "url": "https://x.example.com"}, "leader"),
    ("dashboard_validate", "rd", {}, "patient_rep"),
    ("plan_save", "r", {"component": "service:appointments"}, "qa"),
    ("exception_decide", "re", {"decision": "approve", "comment": "c"}, "patient_rep"),
    ("exception_decide", "re", {"decision": "approve", "comment": "c"}, "rm"),  # own request
    ("hotfix_decide", "h", {"decision": "approve", "comment": "c"}, "sre"),
    ("hotfix_decide", "h", {"decision": "approve", "comment": "c"}, "rm"),  # own request
    ("hotfix_confirm", "hk", {}, "leader"),
    ("move", "r", {"reason": "x"}, "patient_rep"),
    ("skip", "r", {"reason": "x"}, "sre"),
    ("cancel", "r", {"reason": "x"}, "qa"),
    ("status", "r", {"status": "cancelled", "reason": "x"}, "patient_rep"),
    ("handover", "r", {"to": "vikram"}, "patient_rep"),
    ("create", "", {"version": "9.9"}, "patient_rep"),
    ("train_fill", "", {}, "sre"),
    ("hotfix_create", "", {"version": "9.9"}, "leader"),
]


def _resolve(data, people):
    out = {}
    for key, value in data.items():
        if key == "squad":
            value = squad(value).pk
        elif key in ("person", "to"):
            value = people[{"priya": "patient_rep", "vikram": "rm2"}[value]].pk
        out[key] = value
    return out


def _args(spec, release, exception, hotfix):
    args = []
    if "r" in spec:
        args.append(release.code)
    if "h" in spec:
        args.append(hotfix.release.code)
    if "t" in spec:
        args.append(_ticket(release).code)
    if "d" in spec:
        args.append(release.dashboards.get().code)
    if "e" in spec:
        args.append(exception.code)
    if "k" in spec:
        args.append("back_merge")
    return args


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("name", "spec", "data", "who"), REFUSED)
def test_wrong_role_or_squad_is_403_and_nothing_changes(
    client, people, release, exception, hotfix, name, spec, data, who, htmx
):
    TrainFactory()
    client.force_login(people[who])
    url = reverse(f"releases:{name}", args=_args(spec, release, exception, hotfix))
    before = snapshot()
    response = client.post(url, _resolve(data, people), **(HTMX if htmx else {}))
    assert response.status_code == 403
    assert snapshot() == before


def test_reads_are_open_to_everyone_logged_in(client, people, release, hotfix):
    client.force_login(people["leader"])
    for url in (
        "/",
        "/releases/",
        "/calendar/",
        reverse("pages:release", args=[release.code]),
        reverse("pages:release", args=[hotfix.release.code]),
    ):
        assert client.get(url).status_code == 200, url


def test_anonymous_users_are_sent_to_log_in(client, release):
    response = client.post(reverse("releases:risk_add", args=[release.code]), {"description": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Risk.objects.exists()


def test_get_on_a_mutating_url_is_refused(client, people, release):
    client.force_login(people["rm"])
    assert client.get(reverse("releases:risk_add", args=[release.code])).status_code == 405


def test_a_rep_adds_a_ticket_for_their_squad_by_plain_post(client, people, release):
    client.force_login(people["patient_rep"])
    url = reverse("releases:ticket_add", args=[release.code])
    data = {
        "key": "pat-7",
        "title": "Reschedule",
        "squad": squad("patient").pk,
        "services": [service("payments").pk],
        "merged": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith("#scope-tickets")
    ticket = release.tickets.get(key="PAT-7")
    assert [s.slug for s in ticket.services.all()] == ["payments"]
    assert ticket.merged and not ticket.ci_passing


def test_htmx_gets_the_section_and_the_timeline_out_of_band(client, people, release):
    client.force_login(people["patient_rep"])
    url = reverse("releases:ticket_add", args=[release.code])
    # The page says which sections it shows (the stage panel's hx-headers).
    on_page = "release-header freeze-banner timeline scope-tickets rollback-plans"
    response = client.post(
        url,
        {"key": "PAT-8", "title": "t", "squad": squad("patient").pk},
        **HTMX,
        HTTP_X_RELEASE_SECTIONS=on_page,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="scope-tickets"')
    assert '<section id="timeline" class="card timeline-latest" hx-swap-oob="true"' in html
    assert '<section id="rollback-plans" class="card" hx-swap-oob="true"' in html
    assert "<html" not in html
    assert "PAT-8" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"key": "PAT-1", "title": "again"}, "already in the scope"),
        ({"key": "not a key", "title": "t"}, "looks like PAT-123"),
        ({"key": "PAT-9", "title": ""}, "This field is required"),
        ({"key": "PAT-9", "title": "t", "link": "javascript:alert(1)"}, "Enter a valid URL"),
    ],
)
def test_bad_ticket_input_is_a_message_and_writes_nothing(client, people, release, data, message):
    client.force_login(people["rm"])
    url = reverse("releases:ticket_add", args=[release.code])
    before = snapshot()
    response = client.post(url, {"squad": squad("patient").pk, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before
    response = client.post(url, {"squad": squad("patient").pk, **data}, **HTMX)
    assert response.status_code == 200 and message in response.content.decode()
    assert snapshot() == before


def test_scope_after_the_freeze_is_refused_with_a_message(client, people, release):
    release_freeze(release=release)
    client.force_login(people["patient_rep"])
    url = reverse("releases:ticket_add", args=[release.code])
    response = client.post(url, {"key": "PAT-5", "title": "t", "squad": squad("patient").pk})
    assert response.status_code == 400
    assert "approved freeze exception" in response.content.decode()
    assert not release.tickets.filter(key="PAT-5").exists()


def test_freeze_exception_flow_over_http(client, people, release):
    release_freeze(release=release)
    client.force_login(people["patient_rep"])
    client.post(
        reverse("releases:exception_request", args=[release.code]),
        {"items": "PAT-5", "reason": "Crash fix", "risk": "Low", "rollback_note": "Revert"},
    )
    exception = FreezeException.objects.get()
    client.force_login(people["rm"])
    url = reverse("releases:exception_decide", args=[release.code, exception.code])
    response = client.post(url, {"decision": "approve", "comment": ""}, **HTMX)
    assert "This field is required" in response.content.decode()
    response = client.post(url, {"decision": "approve", "comment": "Go ahead"}, **HTMX)
    assert response.status_code == 200
    # A double click: the second post finds the decision made and changes nothing.
    response = client.post(url, {"decision": "reject", "comment": "Changed my mind"}, **HTMX)
    assert "already been decided" in response.content.decode()
    assert FreezeExceptionDecision.objects.get().decision == "approved"
    client.force_login(people["patient_rep"])
    client.post(
        reverse("releases:ticket_add", args=[release.code]),
        {"key": "PAT-5", "title": "Crash fix", "squad": squad("patient").pk},
    )
    assert release.tickets.get(key="PAT-5").freeze_exception == exception


def test_rollback_plan_strategy_must_fit_the_component(client, people, release):
    ScopeTicketFactory(release=release, key="PAT-3", squad=squad("patient"))
    client.force_login(people["sre"])
    url = reverse("releases:plan_save", args=[release.code])
    data = {
        "component": "service:appointments",
        "strategy": "redeploy_build",
        "previous": "v1",
        "steps": "s",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and "For Appointments" in response.content.decode()
    data["strategy"] = "redeploy_container"
    assert client.post(url, data).status_code == 302
    assert RollbackPlan.objects.get().service == service("appointments")
    data["component"] = "service:payments"  # not changed by this release
    assert client.post(url, data).status_code == 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": "2030.01.01"}, "already exists"),
        ({"window_end": "2030-02-06T09:00"}, "must end after it starts"),
        ({"window_start": "2020-01-01T10:00", "window_end": "2020-01-01T12:00"}, "in the future"),
        ({"version": "bad version!"}, "Use letters"),
        ({"window_start": "not a date"}, "Enter a valid date/time"),
    ],
)
def test_bad_release_input_is_a_message_and_writes_nothing(client, people, release, data, message):
    client.force_login(people["rm"])
    form = {
        "version": "2030.02.06",
        "window_start": "2030-02-06T10:00",
        "window_end": "2030-02-06T12:00",
        "release_manager": people["rm"].pk,
        **data,
    }
    before = snapshot()
    response = client.post(reverse("releases:create"), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_rm_plans_the_next_release_from_the_train(client, people):
    from releasehub.accounts.models import RotaMember

    RotaMember.objects.create(user=people["rm"], position=1)
    train = TrainFactory(anchor_date=dt.date.today() + dt.timedelta(days=30))
    client.force_login(people["rm"])
    page = client.get(reverse("releases:create") + f"?train={train.code}")
    form = page.context["form"]
    day = train.occurrences(dt.date.today(), 1)[0]
    assert form.initial["version"] == day.strftime("%Y.%m.%d")
    assert form.initial["window_start"] == default_window(day)[0]
    data = {
        "version": form.initial["version"],
        "window_start": form.initial["window_start"]
        .astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
        .strftime("%Y-%m-%dT%H:%M"),
        "window_end": form.initial["window_end"]
        .astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
        .strftime("%Y-%m-%dT%H:%M"),
        "release_manager": people["rm"].pk,
        "train_date": day.isoformat(),
    }
    response = client.post(reverse("releases:create") + f"?train={train.code}", data)
    assert response.status_code == 302
    release = Release.objects.get()
    assert (release.train, release.train_date, release.window_start) == (
        train,
        day,
        default_window(day)[0],
    )


@pytest.mark.parametrize(
    "url",
    [
        "/releases/?page=abc",
        "/releases/?page=-1&show=nope&status=nope",
        "/calendar/?month=9999-99",
        "/calendar/?month=0001-01",
        "/releases/new/?train=not-a-uuid",
    ],
)
def test_odd_query_strings_do_not_break_pages(client, people, url):
    client.force_login(people["rm"])
    assert client.get(url).status_code == 200


def test_odd_posts_are_messages_not_500s(client, people, release, hotfix):
    client.force_login(people["rm2"])
    posts = [
        (reverse("releases:status", args=[release.code]), {"status": "completed"}),
        (reverse("releases:status", args=[release.code]), {"status": "bogus"}),
        (reverse("releases:oncall_assign", args=[release.code]), {"role": "x", "person": "abc"}),
        (reverse("releases:plan_save", args=[release.code]), {"component": "service:nope"}),
        (reverse("releases:hotfix_decide", args=[hotfix.release.code]), {"decision": "maybe"}),
        (reverse("releases:move", args=[release.code]), {"window_start": "x", "reason": ""}),
        (reverse("releases:handover", args=[release.code]), {"to": "999999"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 400, url
    assert (
        client.post(
            reverse("releases:hotfix_confirm", args=[hotfix.release.code, "nope"])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("releases:hotfix_confirm", args=[release.code, "back_merge"])
        ).status_code
        == 404
    )
