"""The other apps' sections on the release page and the dashboard: Go/No-Go, QA smoke, timed
actions and the delivery log; only full pages build them, never the page's htmx fragments."""

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.notify.services import outbox_add
from releasehub.pages import selectors
from releasehub.readiness.models import Phase
from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.readiness.services.qa import smoke_record
from releasehub.releases.models import Release
from releasehub.schedule.models import ActionKind
from releasehub.schedule.planning import replan
from tests.factories import readiness_reference_data, release_in, rm, user_with

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager():
    return rm(username="asha")


@pytest.fixture
def release(manager):
    readiness_reference_data()
    release = release_in(14, version="2030.01.01", release_manager=manager)
    checklists_create_for(release)
    replan(release)
    freeze = release.actions.get(kind=ActionKind.FREEZE)
    outbox_add(action=freeze, users=[manager], subject="Code freeze for 2030.01.01", body="b")
    return release


def _set_status(release: Release, status: str) -> None:
    Release.objects.filter(pk=release.pk).update(status=status)
    release.refresh_from_db()


def _stage(client, release, slug: str) -> str:
    return client.get(reverse("pages:stage", args=[release.code, slug])).content.decode()


def test_the_stages_show_readiness_timed_actions_and_deliveries(client, manager, release):
    client.force_login(manager)
    go_no_go = _stage(client, release, "go-no-go")
    for html in (go_no_go, _stage(client, release, "scope")):
        # The chrome of every stage: header, freeze banner, latest events.
        ids = ['id="release-header"', 'id="freeze-banner"', 'id="release-stage"', 'id="timeline"']
        positions = [html.index(i) for i in ids]
        assert positions == sorted(positions)
    assert f'id="go-no-go-{release.code}"' in go_no_go
    # Before release day the Go/No-Go panel polls its own endpoint; the smoke panel waits.
    assert f'hx-get="{reverse("readiness:panel", args=[release.code])}"' in go_no_go
    assert reverse("readiness:page", args=[release.code]) in go_no_go
    assert "Checklists and Go/No-Go" in go_no_go
    release_day = _stage(client, release, "release-day")
    assert f'id="smoke-status-{release.code}"' in release_day
    assert reverse("readiness:smoke_panel", args=[release.code]) not in release_day
    assert reverse("rollout:board", args=[release.code]) in release_day
    watch = _stage(client, release, "watch")
    assert 'id="timed-actions"' in watch and "Code freeze starts" in watch  # a timed action
    wrap_up = _stage(client, release, "wrap-up")
    assert 'id="delivery-log"' in wrap_up
    assert "Code freeze for 2030.01.01" in wrap_up and manager.email in wrap_up  # a delivery
    # Each stage builds only its own panels.
    assert "timed-actions" not in go_no_go and "delivery-log" not in watch
    assert "go-no-go-" not in release_day and "smoke-status-" not in go_no_go


def test_htmx_fragments_of_the_release_page_skip_the_other_apps_sections(
    client, manager, release, monkeypatch
):
    def refuse(release, user):
        raise AssertionError("a fragment built the full page's sections")

    monkeypatch.setattr(selectors, "other_app_sections", refuse)
    client.force_login(manager)
    url = reverse("releases:risk_add", args=[release.code])
    response = client.post(url, {"description": "Payments may time out"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="risks"' in body and "Payments may time out" in body
    assert "timed-actions" not in body and "go-no-go-" not in body


def test_a_plain_post_with_an_error_shows_its_section_with_the_error_and_a_way_back(
    client, manager, release
):
    client.force_login(manager)
    url = reverse("releases:risk_add", args=[release.code])
    response = client.post(url, {"description": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="risks"' in body and "This field is required" in body
    assert f"<title>{release.version}" in body
    back = reverse("pages:release", args=[release.code]) + "?section=risks#risks"
    assert f'href="{back}"' in body
    # The other apps' sections belong to the release page, which releases does not build.
    assert 'id="timed-actions"' not in body and "go-no-go-" not in body


def _dashboard(client) -> str:
    return client.get(reverse("pages:dashboard")).content.decode()


def test_the_dashboard_shows_the_current_releases_go_no_go_panel_before_release_day(
    client, manager, release
):
    later = release_in(28, release_manager=manager)
    client.force_login(manager)
    html = _dashboard(client)
    assert f'id="go-no-go-{release.code}"' in html
    assert f'id="go-no-go-{later.code}"' not in html  # only the current (nearest) release
    assert "smoke-status-" not in html


@pytest.mark.parametrize(
    ("status", "go_no_go", "smoke"),
    [
        (Release.Status.FROZEN, True, False),
        (Release.Status.NO_GO, True, False),
        (Release.Status.GO, True, True),
        (Release.Status.DEPLOYING, False, True),
        (Release.Status.VERIFYING, False, True),
        (Release.Status.MONITORING, False, False),
    ],
)
def test_the_dashboard_panels_follow_the_current_releases_status(
    client, manager, release, status, go_no_go, smoke
):
    _set_status(release, status)
    client.force_login(manager)
    html = _dashboard(client)
    assert (f'id="go-no-go-{release.code}"' in html) is go_no_go
    assert (f'id="smoke-status-{release.code}"' in html) is smoke


def test_a_smoke_failure_shows_on_the_dashboard_with_the_runbooks_choices(client, manager, release):
    _set_status(release, Release.Status.VERIFYING)
    item = release.checklist_items.filter(phase=Phase.SMOKE).first()
    qa = user_with(Role.QA_LEAD, username="neha")
    smoke_record(item=item, actor=qa, outcome="failed", notes="Login returns 500")
    for viewer in (manager, user_with(Role.SRE, username="kiran")):
        client.force_login(viewer)
        html = _dashboard(client)
        assert "Smoke test failed" in html and "Login returns 500" in html
        assert "Roll back" in html and "Hotfix" in html
        # The dashboard's own poll re-renders it too, with the failure.
        fragment = client.get(reverse("pages:dashboard"), **HTMX).content.decode()
        assert "Smoke test failed" in fragment


@pytest.mark.parametrize(
    ("who", "sees"),
    [("sre", True), ("staff", True), ("rm", False), ("squad_rep", False)],
)
def test_the_timed_actions_link_is_for_sre_and_staff(client, who, sees):
    user = {
        "sre": lambda: user_with(Role.SRE),
        "staff": lambda: user_with(Role.QA_LEAD, is_staff=True),
        "rm": rm,
        "squad_rep": lambda: user_with(Role.SQUAD_REP, "patient"),
    }[who]()
    client.force_login(user)
    html = _dashboard(client)
    assert (f'href="{reverse("schedule:overview")}"' in html) is sees
