"""Tokens, problems, idempotency, ETags and the rate limit, seen from a pipeline."""

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.api.models import ApiToken, IdempotencyRecord
from releasehub.api.scopes import Scope
from releasehub.api.tokens import TokenError, token_create_integration, token_revoke
from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import Release
from tests.api.conftest import Api, in_days
from tests.factories import ReleaseFactory, user_with

# Releases are made relative to the fixed instant of the run.
pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_a_request_without_a_token_is_a_401_problem():
    response = Api(Client(), "").get("/releases")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.data["status"] == 401 and response.data["instance"] == "/api/v1/releases"


def test_an_unknown_token_is_a_401():
    assert Api(Client(), "rhp_not-a-token").get("/releases").status_code == 401


def test_a_revoked_token_is_a_401(personal_token):
    person = user_with(Role.SRE)
    token, api = personal_token(person)
    assert api.get("/releases").status_code == 200
    assert token_revoke(token=token, actor=person) is True
    assert api.get("/releases").status_code == 401


def test_an_expired_token_is_a_401(personal_token):
    _, api = personal_token(user_with(Role.SRE), days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, seconds=1)):
        assert api.get("/releases").status_code == 401


def test_someone_else_cannot_revoke_a_personal_token(personal_token):
    token, _ = personal_token(user_with(Role.SRE))
    with pytest.raises(TokenError):
        token_revoke(token=token, actor=user_with(Role.SRE, username="other"))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_token_without_the_scope_is_refused_with_a_403(personal_token):
    _, api = personal_token(user_with(Role.SRE), scopes=[Scope.METRICS_READ])
    response = api.get("/releases")
    assert response.status_code == 403
    assert "releases:read" in response.data["detail"]


def test_the_secret_is_stored_hashed_and_use_is_recorded(personal_token):
    token, api = personal_token(user_with(Role.SRE))
    assert api.secret not in token.hashed and len(token.hashed) == 64
    api.get("/releases")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_from == "127.0.0.1"


def test_an_integration_never_gets_the_sign_off_scope(staff):
    with pytest.raises(TokenError, match="signoffs:write"):
        token_create_integration(
            actor=staff, name="ci", scopes=[Scope.SIGNOFFS_WRITE], expires_at=in_days(3)
        )


def test_only_staff_make_integration_tokens():
    with pytest.raises(TokenError):
        token_create_integration(
            actor=user_with(Role.RELEASE_MANAGER),
            name="ci",
            scopes=[Scope.ROLLOUT_WRITE],
            expires_at=in_days(3),
        )


def test_an_integration_acts_as_a_machine_with_only_the_roles_its_scopes_imply(integration_token):
    token, _ = integration_token(scopes=[Scope.ROLLOUT_WRITE, Scope.RELEASES_READ])
    machine = token.user
    assert machine.is_machine and not machine.has_usable_password()
    assert machine.has_role(Role.SRE)
    assert not machine.has_any_role(Role.RELEASE_MANAGER, Role.SQUAD_REP, Role.QA_LEAD)


def test_release_list_filters_and_pages(personal_token):
    ReleaseFactory.create_batch(3)
    cancelled = ReleaseFactory(status=Release.Status.CANCELLED)
    _, api = personal_token(user_with(Role.LEADERSHIP))
    page = api.get("/releases", limit=2)
    assert page.status_code == 200
    assert page.data["count"] == 4 and len(page.data["items"]) == 2
    closed = api.get("/releases", open="false").data
    assert [r["version"] for r in closed["items"]] == [cancelled.version]


def test_a_release_by_version_or_code(personal_token):
    release = ReleaseFactory()
    _, api = personal_token(user_with(Role.LEADERSHIP))
    assert api.get(f"/releases/{release.version}").data["code"] == str(release.code)
    assert api.get(f"/releases/{release.code}").data["version"] == release.version
    missing = api.get("/releases/no-such")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"


def test_a_read_carries_an_etag_and_answers_304_when_unchanged(personal_token):
    release = ReleaseFactory()
    _, api = personal_token(user_with(Role.LEADERSHIP))
    first = api.get(f"/releases/{release.version}")
    assert first["ETag"]
    again = api.get(f"/releases/{release.version}", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""


@override_settings(API_RATE_LIMIT="3/min")
def test_the_rate_limit_answers_429_with_retry_after(personal_token, settings):
    _, api = personal_token(user_with(Role.LEADERSHIP))
    other = personal_token(user_with(Role.LEADERSHIP, username="other"))[1]
    minute = timezone.now().replace(second=5, microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(minute, tick=False):
        assert [api.get("/releases").status_code for _ in range(3)] == [200] * 3
        refused = api.get("/releases")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "55"
        assert other.get("/releases").status_code == 200  # counted per token


def test_an_idempotency_key_that_is_too_long_is_a_422(personal_token):
    _, api = personal_token(user_with(Role.SRE))
    assert api.post("/releases", {}, key="k" * 256).status_code == 422
    assert not IdempotencyRecord.objects.exists()


def test_timeline_events_name_the_token_and_the_run(integration_token):
    from releasehub.audit.timeline import acting_via, record_event

    token, _ = integration_token()
    release = ReleaseFactory()
    with acting_via(token.label, "https://ci.example/run/7"):
        record_event(verb="probe", target=release, summary="probe", release=release)
    event = TimelineEvent.objects.get(verb="probe")
    assert event.via.startswith(f"API token {token.name}") and event.via_url.endswith("/run/7")
    record_event(verb="probe2", target=release, summary="after", release=release)
    assert TimelineEvent.objects.get(verb="probe2").via == ""


def test_docs_and_schema_are_served_without_a_token():
    client = Client()
    schema = client.get("/api/v1/schema")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_making_and_revoking_a_token_are_on_the_timeline(personal_token):
    person = user_with(Role.SRE)
    token, _ = personal_token(person)
    token_revoke(token=token, actor=person)
    token_revoke(token=token, actor=person)  # already revoked: no second event
    events = TimelineEvent.objects.filter(target_type="api.apitoken", target_id=str(token.pk))
    assert sorted(e.verb for e in events) == ["api.token_created", "api.token_revoked"]
    assert all(e.actor == person for e in events)
