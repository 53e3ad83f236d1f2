"""The API's docs page (Swagger UI, vendored) under the strict CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_list_the_operations_with_no_csp_violation(browser, live_server):
    # A page of its own, not the `page` fixture: Swagger UI's markup is third-party and axe's
    # WCAG checks are for our pages. Console errors (a CSP refusal is one) still fail the test.
    context = browser.new_context()
    docs = context.new_page()
    errors: list[str] = []
    docs.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    docs.on("pageerror", lambda exc: errors.append(str(exc)))
    requested: list[str] = []
    docs.on("request", lambda request: requested.append(request.url))
    try:
        response = docs.goto(f"{live_server.url}/api/v1/docs")
        assert response is not None and response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(docs.get_by_text("ReleaseHub API").first).to_be_visible()
        expect(
            docs.locator(".opblock-summary-path", has_text="/api/v1/releases/{ref}/clock")
        ).to_be_visible()
        expect(docs.locator(".opblock-summary-path", has_text="/api/v1/metrics")).to_be_visible()
        expect(docs.get_by_role("button", name="Authorize")).to_be_visible()
        # Every asset came from this server: no CDN.
        assert requested and all(url.startswith((live_server.url, "data:")) for url in requested)
    finally:
        context.close()
    assert not errors, f"console errors on /api/v1/docs: {errors}"
