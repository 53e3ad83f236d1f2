"""In a browser: locked out after wrong passwords, then back in through a password reset."""

import re

import pytest
from django.conf import settings

from releasehub.notify.models import Outbox
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-much-longer-passphrase-42"


def test_a_locked_out_person_resets_the_password_and_signs_in(page):
    UserFactory(username="asha", first_name="Asha", last_name="Rao", email="asha@example.com")
    for _ in range(settings.SIGNIN_FAILURE_LIMIT):
        page.login("asha", password="wrong")
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("Too many failed sign-ins; try again in 15 minutes")
    # Chromium logs every 4xx page it loads; this one is meant (the fixture fails on the rest).
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
    ]
    page.errors.clear()

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail address").fill("asha@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    link = re.search(r"/accounts/reset/\S+/", Outbox.objects.get().body).group(0)
    page.goto(f"{page.base_url}{link}")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.get_by_role("heading", name="Password set").wait_for()

    page.login("asha", password=NEW_PASSWORD)
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert "Asha Rao" in page.locator("header").inner_text()
