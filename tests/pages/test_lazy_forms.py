"""The release page's forms behind a disclosure are fetched when it is opened (#15: rendering a
dozen forms was most of the page's cost): closed, a disclosure holds no form but a link that
shows the page with it open (no JavaScript); opened, htmx fetches the form alone. A form that
came back with errors, or the rollback plan while a component has none, is shown open."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.releases.clock import default_window
from releasehub.releases.models import Release
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
HTMX = {"HTTP_HX_REQUEST": "true"}
WINDOW = default_window(dt.date(2030, 1, 2))  # far from the suite's instant: not frozen
# (summary, ?form= name, a field of the form) on the stage that shows it, as the RM sees it.
DISCLOSURES = [
    ("scope", "Add a ticket", "ticket", 'name="key"'),
    ("scope", "Add a risk", "risk", 'name="description"'),
    ("scope", "Add a flag", "flag", 'name="name"'),
    ("readiness", "Assign", "oncall", 'name="person"'),
    ("readiness", "Add a dashboard", "dashboard", 'name="url"'),
    ("freeze", "Request a freeze exception", "exception", 'name="items"'),
    ("scope", "Change status", "status", 'name="status"'),
    ("scope", "Move", "move", 'name="window_start"'),
    ("scope", "Skip or cancel", "reason", 'name="reason"'),
    ("scope", "Hand over", "handover", 'name="to"'),
]


@pytest.fixture
def manager():
    return rm(username="asha")


@pytest.fixture
def release(manager) -> Release:
    readiness_reference_data()
    return ReleaseFactory(window_start=WINDOW[0], window_end=WINDOW[1], release_manager=manager)


def _details(html: str, summary: str) -> str:
    found = re.search(
        rf"<details[^>]*>\s*<summary>{re.escape(summary)}</summary>.*?</details>", html, re.S
    )
    assert found, f"no disclosure {summary!r}"
    return found.group(0)


@pytest.mark.parametrize(("slug", "summary", "name", "field"), DISCLOSURES)
def test_a_closed_disclosure_fetches_its_form_when_opened(
    client, manager, release, slug, summary, name, field
):
    client.force_login(manager)
    html = client.get(reverse("pages:stage", args=[release.code, slug])).content.decode()
    closed = _details(html, summary)
    assert " open" not in closed.split(">", 1)[0]
    assert field not in closed and "<form" not in closed
    fetch = re.search(r'hx-get="([^"]+)"', closed).group(1).replace("&amp;", "&")
    assert 'hx-trigger="toggle once"' in closed
    # Without JavaScript, the link in the disclosure shows the page with the form open.
    link = re.search(r'<a href="([^"]+)"', closed).group(1).replace("&amp;", "&")
    assert link.split("#")[0] == fetch and f"form={name}" in fetch
    fragment = client.get(fetch, **HTMX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith("<form") and field in body and "csrfmiddlewaretoken" in body
    opened = _details(client.get(link).content.decode(), summary)
    assert " open" in opened.split(">", 1)[0] and field in opened


def test_an_unknown_form_is_a_404(client, manager, release):
    client.force_login(manager)
    url = reverse("pages:release", args=[release.code]) + "?form=nonsense"
    assert client.get(url, **HTMX).status_code == 404


def test_a_form_that_comes_back_with_errors_is_open_with_them(client, manager, release):
    client.force_login(manager)
    url = reverse("releases:risk_add", args=[release.code])
    response = client.post(url, {"description": ""}, HTTP_HX_REQUEST="true")
    details = _details(response.content.decode(), "Add a risk")
    assert " open" in details.split(">", 1)[0]
    assert 'name="description"' in details and "required" in details


def test_the_rollback_plan_form_is_open_while_a_changed_component_has_none(
    client, manager, release
):
    ScopeTicketFactory(release=release, squad=squad("patient"), services=[service("identity")])
    client.force_login(manager)
    url = reverse("pages:stage", args=[release.code, "readiness"])
    details = _details(client.get(url).content.decode(), "Write or replace a plan")
    assert " open" in details.split(">", 1)[0] and 'name="component"' in details


def test_a_role_not_offered_a_form_gets_no_disclosure(client, release):
    client.force_login(user_with(Role.SUPPORT))
    html = client.get(reverse("pages:stage", args=[release.code, "scope"])).content.decode()
    assert "Add a ticket" not in html and "Change status" not in html


def test_the_fragment_of_a_form_costs_a_few_queries(
    client, manager, release, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(reverse("pages:release", args=[release.code]))  # warm the session
    url = reverse("pages:release", args=[release.code]) + "?section=risks&form=risk"
    with django_assert_max_num_queries(3):  # session, user, release
        assert client.get(url, **HTMX).status_code == 200
