"""The token pages: a person's own tokens, staff's integration tokens, revoking, the secret once."""

import re

import pytest
from django.test import Client

from releasehub.accounts.models import Role
from releasehub.api.models import ApiToken
from releasehub.api.scopes import Scope
from tests.api.conftest import Api
from tests.factories import UserFactory, service, user_with

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'id="token-secret">(rh[pi]_[\w-]+)<')


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _make(client: Client, url: str, **fields) -> str:
    """POST the form, follow to the page, and return the secret it shows."""
    data = {"name": "laptop", "scopes": [Scope.RELEASES_READ], "expires_in": "30", **fields}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    found = SECRET.search(response.content.decode())
    assert found, response.content.decode()
    return found.group(1)


def test_a_person_makes_a_token_sees_it_once_and_uses_it():
    person = user_with(Role.SRE)
    client = _signed_in(person)
    secret = _make(client, "/account/tokens/new/")
    token = ApiToken.objects.get()
    assert token.user == person and token.kind == ApiToken.Kind.PERSONAL
    assert token.scopes == [Scope.RELEASES_READ] and secret.startswith(token.prefix)
    again = client.get("/account/tokens/").content.decode()
    assert secret not in again and token.prefix in again  # listed by prefix only
    assert Api(Client(), secret).get("/releases").status_code == 200
    assert "from 127.0.0.1" in client.get("/account/tokens/").content.decode()


def test_the_expiry_is_the_chosen_number_of_days():
    client = _signed_in(user_with(Role.SRE))
    _make(client, "/account/tokens/new/", expires_in="7")
    token = ApiToken.objects.get()
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 7


def test_a_form_mistake_writes_nothing_and_says_why():
    client = _signed_in(user_with(Role.SRE))
    no_scope = client.post("/account/tokens/new/", {"name": "x", "expires_in": "30"})
    assert no_scope.status_code == 200 and b"Choose at least one scope." in no_scope.content
    odd_expiry = client.post(
        "/account/tokens/new/", {"name": "x", "scopes": ["releases:read"], "expires_in": "1000"}
    )
    assert odd_expiry.status_code == 200 and b"not one of the available" in odd_expiry.content
    assert not ApiToken.objects.exists()


def test_a_second_live_token_of_the_same_name_is_refused_not_a_500():
    client = _signed_in(user_with(Role.SRE))
    _make(client, "/account/tokens/new/")
    response = client.post(
        "/account/tokens/new/", {"name": "laptop", "scopes": ["releases:read"], "expires_in": "7"}
    )
    assert response.status_code == 200 and b"exists already" in response.content
    assert ApiToken.objects.count() == 1


def test_a_person_revokes_their_token_and_it_is_refused_at_once():
    person = user_with(Role.SRE)
    client = _signed_in(person)
    secret = _make(client, "/account/tokens/new/")
    token = ApiToken.objects.get()
    response = client.post(f"/tokens/{token.code}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == "/account/tokens/"
    assert b"Revoked" in response.content
    assert Api(Client(), secret).get("/releases").status_code == 401


def test_a_person_cannot_revoke_someone_elses_token():
    owner_client = _signed_in(user_with(Role.SRE))
    _make(owner_client, "/account/tokens/new/")
    token = ApiToken.objects.get()
    other = _signed_in(user_with(Role.RELEASE_MANAGER, username="other"))
    assert other.post(f"/tokens/{token.code}/revoke/").status_code == 403
    assert ApiToken.objects.get().revoked_at is None
    # Nor see it: the list holds only their own.
    assert token.prefix not in other.get("/account/tokens/").content.decode()


def test_a_person_cannot_revoke_an_integration_token(staff):
    _make(_signed_in(staff), "/integrations/tokens/new/", name="deploy")
    token = ApiToken.objects.get()
    client = _signed_in(user_with(Role.SRE))
    assert client.post(f"/tokens/{token.code}/revoke/").status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_staff_make_an_integration_token_limited_to_a_service(staff):
    payments = service("payments")
    secret = _make(
        _signed_in(staff),
        "/integrations/tokens/new/",
        name="deploy-backend",
        scopes=[Scope.ROLLOUT_WRITE, Scope.RELEASES_READ],
        services=[payments.pk],
    )
    token = ApiToken.objects.get()
    assert token.is_integration and token.user.is_machine and token.created_by == staff
    assert list(token.services.all()) == [payments]
    assert secret.startswith("rhi_")
    page = _signed_in(staff).get("/integrations/tokens/").content.decode()
    assert "deploy-backend" in page and "payments" in page


def test_the_integration_form_never_offers_the_sign_off_scope(staff):
    client = _signed_in(staff)
    assert b"signoffs:write" not in client.get("/integrations/tokens/").content
    refused = client.post(
        "/integrations/tokens/new/",
        {"name": "ci", "scopes": [Scope.SIGNOFFS_WRITE], "expires_in": "30"},
    )
    assert refused.status_code == 200 and not ApiToken.objects.exists()


@pytest.mark.parametrize("path", ["/integrations/tokens/", "/integrations/tokens/new/"])
def test_integration_pages_are_for_staff_only(path):
    client = _signed_in(user_with(Role.RELEASE_MANAGER))
    data = {"name": "ci", "scopes": [Scope.RELEASES_READ], "expires_in": "30"}
    response = client.post(path, data) if path.endswith("new/") else client.get(path)
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_staff_revoke_any_token(staff):
    _make(_signed_in(user_with(Role.SRE)), "/account/tokens/new/")
    token = ApiToken.objects.get()
    response = _signed_in(staff).post(f"/tokens/{token.code}/revoke/")
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_by == staff


def test_machines_keep_no_personal_tokens():
    machine = UserFactory(username="machine:x", is_machine=True)
    assert _signed_in(machine).get("/account/tokens/").status_code == 403


def test_pages_need_a_sign_in():
    assert Client().get("/account/tokens/").status_code == 302
    assert Client().post("/account/tokens/new/").status_code == 302
    assert not ApiToken.objects.exists()
