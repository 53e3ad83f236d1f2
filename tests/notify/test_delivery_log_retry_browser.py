"""SRE retries a failed e-mail from the release page's delivery log, in real Chromium under the
strict CSP: htmx posts with the page's CSRF token and swaps the log in place."""

import pytest
from playwright.sync_api import expect

from releasehub.notify import services
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import ReleaseFactory

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sre_retries_a_failed_delivery_from_the_release_page(page, demo_data, monkeypatch):
    enqueued: list[int] = []
    monkeypatch.setattr(services, "enqueue_deliveries", enqueued.extend)
    release = ReleaseFactory()
    action = ScheduledAction.objects.create(
        release=release, kind=ActionKind.FREEZE, due_at=release.created_at
    )
    (row,) = services.outbox_add(action=action, users=[demo_data["priya"]], subject="F", body="B")
    Outbox.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.FAILED, last_error="SMTPConnectError: down"
    )
    enqueued.clear()  # its first delivery

    page.login("kiran")
    page.goto(f"/releases/{release.code}/?section=delivery-log")
    log = page.locator("#delivery-log")
    expect(log).to_contain_text("Failed")
    log.get_by_role("button", name="Retry").click()
    expect(log).to_contain_text("will be retried now")
    expect(log).to_contain_text("Pending")
    expect(log.get_by_role("button", name="Retry")).to_have_count(0)
    # Swapped in place, no navigation.
    assert page.url.endswith(f"/releases/{release.code}/?section=delivery-log")
    assert Outbox.objects.get(pk=row.pk).status == DeliveryStatus.PENDING
    assert enqueued == [row.pk]
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("retried by hand")
