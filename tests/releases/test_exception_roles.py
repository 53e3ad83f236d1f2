"""Freeze exceptions are requested by the roles that own scope (squad reps, the RM, SRE); anyone
else gets a 403 with nothing written, and is not offered the form."""

import datetime as dt

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import FreezeException
from tests.factories import ReleaseFactory, rm, user_with

pytestmark = pytest.mark.django_db

# A Wednesday 10:00 IST far from any instant the suite runs at: never frozen, never due.
WINDOW = dt.datetime(2030, 1, 2, 4, 30, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "freeze-exceptions"}
REQUEST = {"items": "PAT-9", "reason": "Crash fix", "risk": "Low", "rollback_note": "Revert"}
OFFER = "Request a freeze exception"
REFUSAL = "Freeze exceptions are requested by squad reps, the Release Manager and SRE."


@pytest.fixture
def release():
    return ReleaseFactory(
        window_start=WINDOW, window_end=WINDOW + dt.timedelta(hours=2), release_manager=rm()
    )


def _url(release) -> str:
    return reverse("releases:exception_request", args=[release.code])


def _page(client, release) -> str:
    return client.get(reverse("pages:stage", args=[release.code, "freeze"])).content.decode()


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.LEADERSHIP, Role.QA_LEAD])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_role_that_owns_no_scope_cannot_request_a_freeze_exception(client, release, role, htmx):
    client.force_login(user_with(role))
    response = client.post(_url(release), REQUEST, **(HTMX if htmx else {}))
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    assert not FreezeException.objects.exists()
    assert not TimelineEvent.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.LEADERSHIP, Role.QA_LEAD])
def test_the_form_is_not_offered_to_a_role_that_owns_no_scope(client, release, role):
    client.force_login(user_with(role))
    assert OFFER not in _page(client, release)


@pytest.mark.parametrize(
    ("role", "squad"), [(Role.SQUAD_REP, "patient"), (Role.RELEASE_MANAGER, None), (Role.SRE, None)]
)
def test_the_roles_that_own_scope_request_freeze_exceptions(client, release, role, squad):
    client.force_login(user_with(role, squad))
    assert OFFER in _page(client, release)
    response = client.post(_url(release), REQUEST, **HTMX)
    assert response.status_code == 200
    assert FreezeException.objects.get().keys == ["PAT-9"]
