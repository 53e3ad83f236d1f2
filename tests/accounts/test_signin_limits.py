"""Failed sign-ins are limited per account at an address, and per address at a higher threshold
(django-axes, counted in the database): issue #14, item 1."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory

from releasehub.accounts.signin import client_ip
from releasehub.audit.models import TimelineEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OFFICE = "203.0.113.10"
LOCKED = "Too many failed sign-ins; try again in 15 minutes"


def sign_in(client, username: str, password: str, address: str = OFFICE, **headers):
    data = {"username": username, "password": password}
    return client.post(LOGIN, data, REMOTE_ADDR=address, **headers)


def guess(client, username: str, times: int, address: str = OFFICE):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", address)
    return response


@pytest.fixture
def asha():
    return UserFactory(username="asha")


def test_thirty_wrong_passwords_lock_the_account_with_the_wait(client, asha):
    response = guess(client, "asha", 30)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    right = sign_in(client, "asha", settings.DEMO_PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_first_failures_are_only_a_message(client, asha):
    response = guess(client, "asha", settings.SIGNIN_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert sign_in(client, "asha", settings.DEMO_PASSWORD).status_code == 302


def test_the_lock_ends_once_the_wait_has_passed(client, asha, fixed_clock):
    guess(client, "asha", 30)
    fixed_clock.shift(dt.timedelta(minutes=14))
    assert sign_in(client, "asha", settings.DEMO_PASSWORD).status_code == 429
    # The refused attempt above started the wait again.
    fixed_clock.shift(dt.timedelta(minutes=15, seconds=1))
    response = sign_in(client, "asha", settings.DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_colleague_at_the_same_address_still_signs_in(client, asha):
    UserFactory(username="priya")
    guess(client, "asha", 30)
    assert sign_in(client, "priya", settings.DEMO_PASSWORD).status_code == 302


def test_the_account_is_not_locked_at_another_address(client, asha):
    guess(client, "asha", 30)
    assert sign_in(client, "asha", settings.DEMO_PASSWORD, "198.51.100.7").status_code == 302


def test_one_person_cannot_lock_the_whole_address(client, asha, settings):
    # Each account counts at most SIGNIN_FAILURE_LIMIT failures towards its address.
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 2 * settings.SIGNIN_FAILURE_LIMIT
    UserFactory(username="priya")
    guess(client, "asha", 30)
    assert sign_in(client, "priya", settings.DEMO_PASSWORD).status_code == 302


def test_many_accounts_failing_from_one_address_lock_the_address(client, settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 12
    UserFactory(username="priya")
    for n in range(12):
        guess(client, f"sprayed{n}", 1)
    response = sign_in(client, "priya", settings.DEMO_PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert sign_in(client, "priya", settings.DEMO_PASSWORD, "198.51.100.7").status_code == 302


def test_a_lock_writes_one_line_on_the_audit_timeline(client, asha):
    guess(client, "asha", 30)
    (event,) = TimelineEvent.objects.filter(verb="accounts.locked_out")
    assert event.target_type == "accounts.user" and event.target_id == str(asha.pk)
    assert event.automatic and event.release is None
    assert "asha" in event.summary and OFFICE in event.summary
    assert "wrong-password" not in event.summary + event.reason


def test_a_lock_of_an_unknown_name_is_on_the_timeline_too(client):
    guess(client, "nobody", 5)
    (event,) = TimelineEvent.objects.filter(verb="accounts.locked_out")
    assert event.target_type == "axes.accessattempt"
    assert "nobody" in event.summary


def test_staff_unlock_from_the_admin(client, asha):
    staff = UserFactory(username="ops", is_staff=True)
    guess(client, "asha", 30)
    admin = client.__class__()
    admin.force_login(staff)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "asha" in listing.content.decode()
    ids = [str(pk) for pk in listing.context["cl"].result_list.values_list("pk", flat=True)]
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids}
    )
    assert response.status_code == 302
    assert sign_in(client, "asha", settings.DEMO_PASSWORD).status_code == 302
    (event,) = TimelineEvent.objects.filter(verb="accounts.unlocked")
    assert event.actor == staff and "asha" in event.summary


def test_people_without_staff_cannot_unlock(client, asha):
    guess(client, "asha", 30)
    client.force_login(UserFactory(username="priya"))
    assert client.get("/admin/axes/accessattempt/").status_code == 302  # to the admin login
    sign_in_again = client.__class__()
    assert sign_in(sign_in_again, "asha", settings.DEMO_PASSWORD).status_code == 429


def test_a_forged_forwarded_address_does_not_dodge_the_limit(client, asha):
    for n in range(30):
        response = sign_in(client, "asha", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert response.status_code == 429


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().post(
        LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer hops than proxies: the header cannot be trusted
    assert client_ip(request) == "10.0.0.2"
    garbage = RequestFactory().post(LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="evil")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(garbage) == "10.0.0.2"


@pytest.mark.parametrize("username", ["x" * 100_000, "as\x00ha", ""])
def test_hostile_usernames_are_a_message_not_an_error(client, username):
    response = sign_in(client, username, "wrong")
    assert response.status_code == 200
    assert "did not match" in response.content.decode() or "This field is required" in (
        response.content.decode()
    )


def test_a_name_too_long_for_any_account_counts_under_its_first_150_characters(client):
    for _ in range(settings.SIGNIN_FAILURE_LIMIT):
        response = sign_in(client, "x" * 100_000, "wrong")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == "x" * 150
