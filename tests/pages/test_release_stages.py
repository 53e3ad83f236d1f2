"""The release page a stage at a time: each stage a URL and an htmx fragment, the one under way
opened by the release's clock, badges for what waits for the signed-in person, a fixed number of
queries whatever the data, and the whole timeline a page of its own."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.notify.models import Outbox
from releasehub.pages.stages import STAGES
from releasehub.readiness.models import Phase
from releasehub.readiness.panels import SRE_SLOT, squad_slot
from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.readiness.services.qa import smoke_record
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release, RollbackPlan
from releasehub.releases.services.freeze import freeze_exception_request
from releasehub.releases.services.scope import risk_add
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import (
    ReleaseFactory,
    ScopeTicketFactory,
    UserFactory,
    readiness_reference_data,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
SLUGS = [s.slug for s in STAGES]
# Wednesday 2 January 2030, 10:00-12:00 IST: freeze Monday 31 December 18:00 IST.
WINDOW = default_window(dt.date(2030, 1, 2))


def at(day: int, month: int, year: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=IST)


@pytest.fixture
def manager():
    return rm(username="asha")


@pytest.fixture
def release(manager) -> Release:
    readiness_reference_data()
    return ReleaseFactory(
        version="2030.01.02",
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        release_manager=manager,
    )


def _set_status(release: Release, status: str) -> None:
    Release.objects.filter(pk=release.pk).update(status=status)
    release.refresh_from_db()


def _stage_url(release: Release, slug: str) -> str:
    return reverse("pages:stage", args=[release.code, slug])


def _open_stage(html: str) -> str:
    """The slug of the rail link marked aria-current="step"."""
    assert html.count('aria-current="step"') == 1
    return html.split('aria-current="step"')[0].rsplit("/stages/", 1)[1].split("/")[0]


# Each stage: a page and a fragment --------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_each_stage_is_a_full_page_and_an_htmx_fragment(client, manager, release, slug):
    client.force_login(manager)
    url = _stage_url(release, slug)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and 'id="release-header"' in html and 'id="timeline"' in html
    assert _open_stage(html) == slug
    fragment = client.get(url, **HTMX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body and 'id="release-header"' not in body
    assert body.lstrip().startswith("<title>")
    assert '<div id="release-stage"' in body and _open_stage(body) == slug
    # Every rail link works without JavaScript; the others swap only the stage with htmx, the
    # open one is a plain link (fetching the stage it shows would swap it under the cursor).
    for s in SLUGS:
        link = _stage_url(release, s)
        swaps = f'href="{link}" hx-get="{link}" hx-target="#release-stage"' in body
        assert swaps == (s != slug), s
    assert f'href="{url}" aria-current="step"' in body
    assert body.count('hx-push-url="true"') == len(SLUGS) - 1
    assert "HX-Request" in fragment["Vary"]


def test_going_back_in_history_gets_the_whole_page(client, manager, release):
    client.force_login(manager)
    response = client.get(
        _stage_url(release, "freeze"), **HTMX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (lambda r: _stage_url(r, "nope"), 404),
        (
            lambda r: reverse(
                "pages:stage", args=["0b6f1b0e-0000-4000-8000-000000000000", "scope"]
            ),
            404,
        ),
        (lambda r: reverse("pages:timeline", args=["0b6f1b0e-0000-4000-8000-000000000000"]), 404),
    ],
)
def test_an_unknown_stage_or_release_is_a_404(client, manager, release, url, status):
    client.force_login(manager)
    assert client.get(url(release)).status_code == status


def test_anonymous_users_are_sent_to_log_in_and_a_post_is_refused(client, manager, release):
    url = _stage_url(release, "scope")
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(manager)
    assert client.post(url).status_code == 405


@pytest.mark.parametrize(
    ("section", "slug"),
    [
        ("risks", "scope"),
        ("freeze-exceptions", "freeze"),
        ("rollback-plans", "readiness"),
        ("delivery-log", "wrap-up"),
        ("timed-actions", "watch"),
        ("no-such-section", "scope"),
    ],
)
def test_a_section_named_in_the_query_opens_its_stage(client, manager, release, section, slug):
    client.force_login(manager)
    url = reverse("pages:release", args=[release.code]) + f"?section={section}"
    html = client.get(url).content.decode()
    assert _open_stage(html) == slug
    if section != "no-such-section":
        assert f'id="{section}"' in html


def test_nothing_disappears_every_section_is_on_some_stage(client, manager, release):
    client.force_login(manager)
    pages = "".join(client.get(_stage_url(release, s)).content.decode() for s in SLUGS)
    for dom_id in [
        "scope-tickets",
        "risks",
        "flags",
        "oncall",
        "dashboards",
        "freeze-exceptions",
        "rollback-plans",
        f"go-no-go-{release.code}",
        f"smoke-status-{release.code}",
        "release-comms",
        "timed-actions",
        "delivery-log",
        "timeline",
    ]:
        assert f'id="{dom_id}"' in pages, dom_id
    assert reverse("rollout:board", args=[release.code]) in pages
    assert reverse("readiness:page", args=[release.code]) in pages


# The stage the clock opens ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "status", "slug"),
    [
        (at(24, 12, 2029, 12), "planned", "scope"),
        (at(31, 12, 2029, 17, 59), "planned", "scope"),
        (at(31, 12, 2029, 18, 0), "planned", "freeze"),  # the freeze action not run yet
        (at(31, 12, 2029, 19), "frozen", "freeze"),
        (at(1, 1, 2030, 10, 0), "frozen", "readiness"),  # T-24h
        (at(2, 1, 2030, 8, 59), "frozen", "readiness"),
        (at(2, 1, 2030, 9, 0), "frozen", "go-no-go"),  # the Go/No-Go reminder, T-1h
        (at(2, 1, 2030, 9, 45), "go", "go-no-go"),
        (at(2, 1, 2030, 9, 45), "no_go", "go-no-go"),
        (at(2, 1, 2030, 10, 5), "deploying", "release-day"),
        (at(2, 1, 2030, 10, 40), "verifying", "release-day"),
        (at(2, 1, 2030, 13, 0), "monitoring", "watch"),
        (at(3, 1, 2030, 13, 0), "completed", "wrap-up"),
        (at(2, 1, 2030, 11, 0), "rolled_back", "wrap-up"),
        (at(2, 1, 2030, 11, 0), "cancelled", "wrap-up"),
    ],
)
def test_the_release_page_opens_the_stage_the_clock_says(
    client, manager, release, now, status, slug
):
    _set_status(release, status)
    with time_machine.travel(now, tick=False):
        client.force_login(manager)
        html = client.get(reverse("pages:release", args=[release.code])).content.decode()
    assert _open_stage(html) == slug
    # The rail marks the stage under way, wherever the reader is.
    assert html.count('class="stage-clock"') == 1


def test_a_hotfix_opens_on_its_approval_then_follows_its_status(client, manager, release):
    Release.objects.filter(pk=release.pk).update(kind=Release.Kind.HOTFIX)
    client.force_login(manager)
    url = reverse("pages:release", args=[release.code])
    assert _open_stage(client.get(url).content.decode()) == "go-no-go"
    freeze = client.get(_stage_url(release, "freeze")).content.decode()
    assert "A hotfix has no code freeze" in freeze and 'id="freeze-exceptions"' not in freeze
    _set_status(release, "verifying")
    html = client.get(url).content.decode()
    assert _open_stage(html) == "release-day" and 'id="hotfix"' in html


# Badges: what waits for the signed-in person ------------------------------------------------


def _badge(html: str, slug: str) -> str:
    """The accessible text of the stage's badge ('' when none)."""
    link = html.index(f'/stages/{slug}/"')
    item = html[link : html.index("</li>", link)]
    if "stage-badge" not in item:
        return ""
    return item.split('class="visually-hidden">')[1].split("</span>")[0].strip(": ")


def test_the_rm_sees_how_many_freeze_exceptions_wait_for_their_decision(client, manager, release):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    for items in ("PAT-1", "PAT-2"):
        freeze_exception_request(
            release=release, actor=rep, items=items, reason="r", risk="r", rollback_note="r"
        )
    freeze_exception_request(
        release=release, actor=manager, items="PAT-3", reason="r", risk="r", rollback_note="r"
    )
    client.force_login(manager)
    html = client.get(_stage_url(release, "scope")).content.decode()
    assert _badge(html, "freeze") == "2 need you"  # not the RM's own request
    assert "2 freeze exceptions waiting for your decision" in html.split('id="freeze"')[0]
    freeze = client.get(_stage_url(release, "freeze")).content.decode()
    assert "Needs you:" in freeze and "2 freeze exceptions waiting for your decision" in freeze
    client.force_login(rep)
    assert _badge(client.get(_stage_url(release, "scope")).content.decode(), "freeze") == ""


def test_a_rep_sees_the_sign_off_and_the_tickets_their_squad_owes(client, manager, release):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    ScopeTicketFactory(release=release, squad=squad("patient"), added_by=rep, merged=False)
    ScopeTicketFactory(release=release, squad=squad("doctor"), added_by=manager, merged=False)
    client.force_login(rep)
    url = _stage_url(release, "scope")
    html = client.get(url).content.decode()
    assert _badge(html, "go-no-go") == "1 needs you"
    assert "Your sign-off is owed: Patient" in html
    assert _badge(html, "scope") == "1 needs you"  # their squad's ticket, not Doctor's
    signoff_record(release=release, actor=rep, slot=squad_slot(squad("patient")), decision="go")
    assert _badge(client.get(url).content.decode(), "go-no-go") == ""
    # A scope change makes the sign-off stale: owed again.
    risk_add(release=release, actor=manager, description="Payments may time out")
    assert _badge(client.get(url).content.decode(), "go-no-go") == "1 needs you"


def test_qa_sees_the_smoke_checks_not_run_once_the_release_is_deployed(client, release):
    items = [i for i in checklists_create_for(release) if i.phase == Phase.SMOKE]
    qa = user_with(Role.QA_LEAD, username="neha")
    client.force_login(qa)
    url = _stage_url(release, "scope")
    assert _badge(client.get(url).content.decode(), "release-day") == ""  # not deployed yet
    _set_status(release, "verifying")
    smoke_record(item=items[0], actor=qa, outcome="passed")
    html = client.get(url).content.decode()
    assert _badge(html, "release-day") == f"{len(items) - 1} need you"
    assert "smoke checks not run yet" in html


def test_planners_see_the_changed_services_without_a_rollback_plan(client, manager, release):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    sre = user_with(Role.SRE, username="kiran")
    ScopeTicketFactory(
        release=release,
        squad=squad("patient"),
        services=[service("payments"), service("identity")],
        added_by=rep,
    )
    ScopeTicketFactory(
        release=release, squad=squad("doctor"), services=[service("providers")], added_by=manager
    )
    RollbackPlan.objects.create(
        release=release,
        service=service("identity"),
        strategy="redeploy_container",
        previous="v1",
        steps="s",
        updated_by=manager,
        updated_at=timezone.now(),
    )
    expected = {manager: "2 need you", sre: "2 need you", rep: "1 needs you"}
    for user, badge in expected.items():
        client.force_login(user)
        assert (
            _badge(client.get(_stage_url(release, "wrap-up")).content.decode(), "readiness")
            == badge
        )
    client.force_login(user_with(Role.LEADERSHIP, username="lead"))
    html = client.get(_stage_url(release, "readiness")).content.decode()
    assert "stage-badge" not in html


def test_a_finished_release_asks_nothing_of_anyone(client, manager, release):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    freeze_exception_request(
        release=release, actor=rep, items="PAT-1", reason="r", risk="r", rollback_note="r"
    )
    _set_status(release, "completed")
    client.force_login(manager)
    assert "stage-badge" not in client.get(_stage_url(release, "freeze")).content.decode()


# Actions inside a stage: out-of-band parts only for what is on the page ---------------------


def test_a_decision_on_the_freeze_stage_refreshes_only_what_that_stage_shows(
    client, manager, release
):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    exception = freeze_exception_request(
        release=release, actor=rep, items="PAT-1", reason="r", risk="r", rollback_note="r"
    )
    client.force_login(manager)
    html = client.get(_stage_url(release, "freeze")).content.decode()
    on_page = html.split('"X-Release-Sections": "')[1].split('"')[0]
    assert on_page.split() == ["release-header", "freeze-banner", "timeline", "freeze-exceptions"]
    url = reverse("releases:exception_decide", args=[release.code, exception.code])
    data = {"decision": "approve", "comment": "ok"}
    body = client.post(url, data, **HTMX, HTTP_X_RELEASE_SECTIONS=on_page).content.decode()
    assert body.lstrip().startswith('<section id="freeze-exceptions"')
    assert 'id="freeze-banner" hx-swap-oob="true"' in body
    assert 'id="timeline" class="card timeline-latest" hx-swap-oob="true"' in body
    assert 'id="scope-tickets"' not in body  # on the Scope stage, not on this page


def test_without_the_pages_sections_an_action_sends_no_out_of_band_part(client, manager, release):
    client.force_login(manager)
    url = reverse("releases:risk_add", args=[release.code])
    body = client.post(url, {"description": "d"}, **HTMX).content.decode()
    assert body.lstrip().startswith('<section id="risks"') and "hx-swap-oob" not in body


def test_a_plain_post_returns_to_the_stage_of_its_section(client, manager, release):
    client.force_login(manager)
    response = client.post(reverse("releases:oncall_assign", args=[release.code]), {})
    assert response.status_code == 400  # the form's error, on the section's own page
    back = f"{reverse('pages:release', args=[release.code])}?section=oncall#oncall"
    assert f'href="{back}"' in response.content.decode()
    response = client.post(reverse("releases:risk_add", args=[release.code]), {"description": "d"})
    assert response["Location"].endswith("?section=risks#risks")
    assert _open_stage(client.get(response["Location"]).content.decode()) == "scope"


# Cheap: a fixed number of queries per stage, and small pages ------------------------------


def _many(release: Release, manager, people: dict, count: int) -> None:
    """`count` tickets, risks, exceptions, events, timed actions, deliveries and sign-offs."""
    now = timezone.now()
    for i in range(count):
        ScopeTicketFactory(
            release=release,
            squad=squad("patient"),
            services=[service("payments")],
            added_by=manager,
            merged=i % 2 == 0,
        )
        risk_add(release=release, actor=manager, description=f"risk {i}")
        freeze_exception_request(
            release=release,
            actor=people["rep"],
            items=f"PAT-{900 + i}",
            reason="r",
            risk="r",
            rollback_note="r",
        )
        signoff_record(release=release, actor=people["sre"], slot=SRE_SLOT, decision="go")
    first = ScheduledAction.objects.count()
    actions = ScheduledAction.objects.bulk_create(
        ScheduledAction(
            release=release,
            kind=ActionKind.FREEZE,
            due_at=now + dt.timedelta(minutes=i),
            status=ActionStatus.DONE,
            sequence=5000 + first + i,
        )
        for i in range(count)
    )
    Outbox.objects.bulk_create(
        Outbox(
            action=a,
            release=release,
            recipient=f"p{first + i}@example.com",
            subject=f"S {i}",
            body="b",
            next_attempt_at=now,
        )
        for i, a in enumerate(actions)
    )


def _count(client, url: str) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return (
        len(ctx.captured_queries),
        len(response.content),
        [q["sql"] for q in ctx.captured_queries],
    )


@pytest.mark.parametrize("status", ["planned", "go"])
def test_each_stage_costs_the_same_queries_with_3_or_40_of_everything(
    client, manager, release, status
):
    people = {
        "rep": user_with(Role.SQUAD_REP, "patient", username="priya"),
        "sre": user_with(Role.SRE, username="kiran"),
    }
    checklists_create_for(release)
    _set_status(release, status)
    # One person holding every role: every badge is computed.
    viewer = UserFactory(
        username="all",
        roles=[
            (Role.RELEASE_MANAGER, None),
            (Role.SRE, None),
            (Role.QA_LEAD, None),
            (Role.SQUAD_REP, "patient"),
        ],
    )
    client.force_login(viewer)
    urls = [_stage_url(release, s) for s in SLUGS] + [reverse("pages:release", args=[release.code])]
    client.get(urls[0])  # warm the session
    _many(release, manager, people, 3)
    small = [_count(client, u) for u in urls]
    _many(release, manager, people, 37)
    assert release.tickets.count() == 40 and release.timeline.count() >= 120
    large = [_count(client, u) for u in urls]
    for url, (n_small, _, _), (n_large, _, sql) in zip(urls, small, large, strict=True):
        assert n_large == n_small, f"{url}: {n_small} then {n_large} queries:\n" + "\n".join(sql)
        assert n_large <= 32, f"{url}: {n_large} queries:\n" + "\n".join(sql)
    sizes = {
        url.rstrip("/").rsplit("/", 1)[-1]: size
        for url, (_, size, _) in zip(urls, large, strict=True)
    }
    # The 40 tickets are on the Scope stage only; the stages that do not list them stay small.
    assert sizes["scope"] > 60_000
    for slug in ("readiness", "go-no-go", "release-day"):
        assert sizes[slug] < 25_000, (slug, sizes[slug])


# The whole timeline, a page at a time -----------------------------------------------------


def test_the_timeline_is_one_click_away_and_pages(client, manager, release):
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            verb="test.event",
            summary=f"Event {i:03d}",
            occurred_at=timezone.now() - dt.timedelta(minutes=i),
            release=release,
            actor=manager,
            target_type="release",
            target_id=str(release.pk),
        )
        for i in range(120)
    )
    client.force_login(manager)
    page = client.get(_stage_url(release, "scope")).content.decode()
    timeline_url = reverse("pages:timeline", args=[release.code])
    latest = page[page.index('id="timeline"') :]
    assert f'href="{timeline_url}"' in latest
    assert "Event 000" in latest and "Event 005" not in latest  # only the latest few
    first = client.get(timeline_url).content.decode()
    assert "Event 000" in first and "Event 049" in first and "Event 050" not in first
    assert 'href="?page=2" rel="next"' in first
    third = client.get(timeline_url + "?page=3").content.decode()
    assert "Event 100" in third and "Event 119" in third and 'rel="next"' not in third
    assert client.get(timeline_url + "?page=x").status_code == 200  # a bad number: page 1
    counts = {_count(client, timeline_url + f"?page={n}")[0] for n in (1, 2, 3)}
    assert len(counts) == 1


def test_an_action_in_a_stage_has_the_rail_refresh_its_badges(client, manager, release):
    rep = user_with(Role.SQUAD_REP, "patient", username="priya")
    exception = freeze_exception_request(
        release=release, actor=rep, items="PAT-1", reason="r", risk="r", rollback_note="r"
    )
    client.force_login(manager)
    url = reverse("releases:exception_decide", args=[release.code, exception.code])
    response = client.post(url, {"decision": "approve", "comment": "ok"}, **HTMX)
    assert response["HX-Trigger"] == "release-changed"
    rail_url = _stage_url(release, "freeze") + "?part=rail"
    with CaptureQueriesContext(connection) as ctx:
        rail = client.get(rail_url, **HTMX).content.decode()
    assert rail.lstrip().startswith('<nav id="stage-rail"') and "stage-panel" not in rail
    assert _open_stage(rail) == "freeze" and "stage-badge" not in rail
    assert len(ctx.captured_queries) <= 9
