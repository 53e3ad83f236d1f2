import pytest
from django.conf import settings

from releasehub.accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_shows_the_dashboard_with_the_users_roles(client):
    UserFactory(username="asha", first_name="Asha", last_name="Rao", roles=[Role.RELEASE_MANAGER])
    response = client.post(
        "/accounts/login/", {"username": "asha", "password": settings.DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Asha Rao" in html
    assert "Release Manager" in html


def test_a_wrong_password_is_a_message_not_an_error(client):
    UserFactory(username="asha")
    response = client.post("/accounts/login/", {"username": "asha", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
