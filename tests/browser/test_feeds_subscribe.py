import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import rm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_makes_a_calendar_feed_link_and_sees_it_once(page, live_server):
    rm(username="asha")
    page.login("asha")
    page.goto(live_server.url + reverse("releases:calendar"))
    page.get_by_role("link", name="calendar feeds").click()
    expect(page.get_by_role("heading", name="Calendar feeds", level=1)).to_be_visible()
    page.get_by_role("button", name="Make a link").click()
    train = page.locator("#feed-train-url")
    expect(train).to_contain_text("/train.ics")
    url = train.inner_text()
    assert url.startswith("http") and "/feeds/" in url
    expect(page.get_by_role("link", name="Open in Apple Calendar").first).to_have_attribute(
        "href", "webcal://" + url.split("://", 1)[1]
    )
    # The calendar app's fetch: the address works with no session.
    served = url.replace(url.split("/feeds/")[0], live_server.url)
    with urllib.request.urlopen(served) as response:
        assert response.status == 200 and response.read().startswith(b"BEGIN:VCALENDAR")

    page.reload()
    expect(page.get_by_text("You have a live link")).to_be_visible()
    expect(page.locator("#feed-train-url")).to_have_count(0)
    assert url not in page.content()
