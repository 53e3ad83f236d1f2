"""The RM previews and sends the post-release announcement (e-mail and chat), sees the
delivery log, and downloads the release's changelog entry."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from releasehub.accounts.models import Role
from releasehub.comms.models import Audience, Message
from releasehub.notify.models import Outbox
from releasehub.notify.services import outbox_deliver
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition
from tests.comms.conftest import ChatServer
from tests.factories import (
    ReleaseFactory,
    ScopeTicketFactory,
    comms_reference_data,
    squad,
    user_with,
)

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The clipboard's text once it starts with the prefix (checked every 100 ms, at most 10 s).
CLIPBOARD_WHEN_IT_STARTS_WITH = """async prefix => {
  for (let i = 0; i < 100; i++) {
    const text = await navigator.clipboard.readText();
    if (text.startsWith(prefix)) { return text; }
    await new Promise(done => setTimeout(done, 100));
  }
  return navigator.clipboard.readText();
}"""


def test_the_rm_previews_and_sends_the_announcement_and_downloads_the_changelog(
    page, demo_data, settings
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    release = (
        Release.objects.filter(kind="regular", status="completed").order_by("-window_start").first()
    )
    ScopeTicketFactory(
        release=release,
        key="PAT-101",
        title="Reschedule from the booking page",
        squad=squad("patient"),
        added_by=demo_data["priya"],
    )
    with ChatServer(answers=[200]) as chat:
        Audience.objects.filter(name="Ops").update(webhook_url=chat.url)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.login("asha")
        page.goto(f"/releases/{release.code}/communications/")
        comms = page.locator("#release-comms")
        expect(comms).to_contain_text("Suggested now: Post-release announcement")
        comms.get_by_role("link", name="Open the post-release announcement").click()

        body = page.get_by_label("Message")
        assert body.input_value().startswith(f"Release {release.version} completed at")
        assert "Patient:\n- PAT-101 Reschedule from the booking page" in body.input_value()
        body.fill(body.input_value() + "\n\nThanks, everyone.")
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview-body")).to_contain_text("Thanks, everyone.")
        expect(page.get_by_label("Support")).to_be_checked()
        expect(page.get_by_label("Ops")).to_be_checked()
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".messages")).to_contain_text("Post-release announcement sent.")
        log = page.locator("#delivery-log")
        expect(log).to_contain_text("divya@example.com")
        expect(log).to_contain_text("Pending")

        # The worker's part: deliver what the send queued (no worker thread needed here).
        for pk in Outbox.objects.filter(message__release=release).values_list("pk", flat=True):
            outbox_deliver(pk)
        assert chat.bodies and "Thanks, everyone." in chat.bodies[0]["text"]

    assert Message.objects.get(release=release).body.endswith("Thanks, everyone.")
    assert {m.to[0] for m in mail.outbox} == {"divya@example.com", "kiran@example.com"}
    page.goto(f"/releases/{release.code}/")
    rows = page.locator("#delivery-log tbody tr")
    expect(rows.filter(has_text="divya@example.com")).to_contain_text("Sent")
    expect(rows.filter(has_text="webhook 127.0.0.1")).to_contain_text("Sent")

    page.goto(f"/releases/{release.code}/communications/")
    expect(page.locator("#release-comms")).not_to_contain_text("Suggested now")
    page.get_by_role("link", name="Changelog entry (final)").click()
    expect(page.locator("#changelog-markdown")).to_contain_text(f"## {release.version}")
    page.wait_for_load_state()  # app.js (deferred) handles the copy button once it has run
    page.get_by_role("button", name="Copy Markdown").click()
    # The clipboard holds the entry (the button says "Copied" for 2 s only: an accessibility
    # check of the page running meanwhile can outlast that).
    copied = page.evaluate(CLIPBOARD_WHEN_IT_STARTS_WITH, f"## {release.version}")
    assert copied.startswith(f"## {release.version} — ")
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Download {release.version}.md").click()
    path = download.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert download.value.suggested_filename == f"changelog-{release.version}.md"
    assert text.startswith(f"## {release.version} — ")
    assert "#### Patient\n- PAT-101 Reschedule from the booking page" in text


def test_an_announcement_whose_release_was_rolled_back_meanwhile_is_refused_with_the_reason(
    page,
):
    comms_reference_data()
    asha = user_with(Role.RELEASE_MANAGER, username="asha")
    user_with(Role.SUPPORT, username="divya")
    kiran = user_with(Role.SRE, username="kiran")
    release = ReleaseFactory(
        status=Release.Status.MONITORING,
        completed_at=timezone.now() - dt.timedelta(hours=1),
        release_manager=asha,
    )
    ScopeTicketFactory(release=release, key="PAT-7", squad=squad("patient"), added_by=asha)
    page.login("asha")
    page.goto(f"/releases/{release.code}/communications/")
    page.locator("#release-comms").get_by_role(
        "link", name="Open the post-release announcement"
    ).click()
    expect(page.get_by_label("Message")).to_have_value(re.compile(r"completed at \w{3} \d\d"))

    # While the RM reads it over, the SRE rolls the whole release back.
    release_transition(
        release=release, to=Release.Status.ROLLED_BACK, actor=kiran, reason="Login broken"
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".messages .error")).to_have_text(
        f"Post-release announcement not sent: {release.version} was rolled back: there is no "
        "completion to announce."
    )
    comms = page.locator("#release-comms")
    expect(comms.locator("[data-not-yet=announcement]")).to_contain_text("was rolled back")
    expect(comms.get_by_role("link", name="Post-release announcement")).to_have_count(0)
    assert not Message.objects.exists() and not Outbox.objects.exists()

    page.goto(f"/releases/{release.code}/communications/compose/?kind=announcement")
    expect(page.locator(".messages .error")).to_contain_text("there is no completion to announce")
    expect(page.get_by_role("button", name="Send")).to_have_count(0)
    assert "(not yet)" not in page.content()
