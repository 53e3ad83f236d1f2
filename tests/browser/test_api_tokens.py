"""A person makes a personal API token, copies it once, uses it over HTTP, and revokes it."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_comms_announcement import CLIPBOARD_WHEN_IT_STARTS_WITH
from tests.factories import rm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _get(url: str, secret: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_person_makes_a_token_sees_it_once_uses_it_and_revokes_it(page, live_server):
    rm(username="asha")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.login("asha")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Your API tokens", level=1)).to_be_visible()
    page.get_by_label("Name").fill("laptop")
    page.get_by_label("Read releases, their clock").check()
    page.get_by_label("Expires in").select_option("7")
    page.get_by_role("button", name="Make token").click()

    secret_box = page.locator("#token-secret")
    expect(secret_box).to_contain_text("rhp_")
    secret = secret_box.inner_text()
    page.wait_for_load_state()  # app.js (deferred) handles the copy button once it has run
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate(CLIPBOARD_WHEN_IT_STARTS_WITH, "rhp_") == secret

    releases = f"{live_server.url}/api/v1/releases"
    assert _get(releases, secret) == 200

    page.reload()  # shown once: gone on the next visit, listed by its prefix only
    expect(page.locator("#token-secret")).to_have_count(0)
    row = page.locator(f"tr[data-token='{secret[:10]}']")
    expect(row).to_contain_text("from 127.0.0.1")
    row.get_by_role("button", name="Revoke laptop").click()
    expect(page.get_by_text("Token laptop revoked")).to_be_visible()
    expect(page.locator(f"tr[data-token='{secret[:10]}']")).to_contain_text("Revoked")
    assert _get(releases, secret) == 401
