"""The message suggested at the right time, the release fragment, and the changelog."""

import datetime as dt
import html
import uuid

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from releasehub.comms import changelog
from releasehub.comms.models import Audience
from releasehub.comms.selectors import release_comms, suggested_message
from releasehub.comms.services import message_send
from releasehub.releases.models import Release
from releasehub.rollout.models import Rollback, RollbackItem, RollbackResult
from tests.factories import ReleaseFactory, ScopeTicketFactory, service

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
S = Release.Status
# Window 2026-12-02 10:00 IST = 04:30 UTC; T-48h = 2026-11-30 04:30 UTC.
WINDOW = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)


def _release(**kwargs) -> Release:
    return ReleaseFactory(window_start=WINDOW, window_end=WINDOW + dt.timedelta(hours=2), **kwargs)


def test_the_heads_up_is_suggested_from_t_minus_48h_until_the_window(cast):
    release = _release(status=S.FROZEN)
    before = suggested_message(release, set(), WINDOW - dt.timedelta(hours=49))
    at = suggested_message(release, set(), WINDOW - dt.timedelta(hours=48))
    assert before is None
    assert at.kind == "heads_up" and "T-48h" in at.reason
    assert suggested_message(release, {"heads_up"}, WINDOW - dt.timedelta(hours=47)) is None
    assert suggested_message(release, set(), WINDOW + dt.timedelta(minutes=1)) is None


def test_the_announcement_is_suggested_on_completion_until_sent(cast, completed_release):
    assert suggested_message(completed_release, set()).kind == "announcement"
    assert suggested_message(completed_release, {"announcement"}) is None


def test_the_hotfix_notice_is_suggested_while_the_hotfix_deploys(cast):
    hotfix = _release(kind=Release.Kind.HOTFIX, status=S.GO)
    assert suggested_message(hotfix, set()) is None
    hotfix.status = S.DEPLOYING
    assert suggested_message(hotfix, set()).kind == "hotfix"


def test_the_fragment_offers_the_suggestion_to_the_rm_only(cast, completed_release):
    request = RequestFactory().get("/")
    for who, offered in (("asha", True), ("priya", False)):
        request.user = cast[who]
        comms = release_comms(completed_release, cast[who])
        html = render_to_string("comms/_release_comms.html", {"comms": comms}, request)
        assert "Suggested now: Post-release announcement" in html
        assert ("?kind=announcement" in html) is offered
        assert reverse("flags:for_release", args=[completed_release.code]) in html


def test_the_fragment_reads_in_constant_queries(cast, completed_release, django_assert_num_queries):
    for _ in range(3):
        message_send(
            release=completed_release,
            actor=cast["asha"],
            kind="heads_up",
            subject="s",
            body="b",
            audiences=list(Audience.objects.all()[:2]),
            token=uuid.uuid4(),
        )
    with django_assert_num_queries(2):
        comms = release_comms(completed_release, cast["asha"])
        assert [a.name for m in comms["sent_messages"] for a in m.audiences.all()]


def test_the_entry_is_a_draft_before_release_and_final_after(cast, completed_release):
    final = changelog.release_entry(completed_release)
    assert final.startswith("## 2026.12.02 — 2026-12-02 (final)\n")
    assert (
        "### Scope\n\n#### Doctor\n- DOC-214 Provider availability cache\n#### Patient\n" in final
    )
    assert "### Feature flags\n\n- `provider-availability-cache`: off\n" in final
    assert "### Known issues\n\n- Token refresh changes sign-in (mitigation: Canary first)" in final
    draft = changelog.release_entry(_release(version="2026.12.16"))
    assert "(draft)" in draft and "- (no scope tickets)" in draft and "- None." in draft


def test_the_entry_downloads_as_markdown(client, cast, completed_release):
    client.force_login(cast["arjun"])  # anyone logged in reads the changelog
    page = client.get(reverse("comms:changelog_entry", args=[completed_release.code]))
    assert page.status_code == 200 and b"data-copy-target" in page.content
    answer = client.get(reverse("comms:changelog_entry_download", args=[completed_release.code]))
    assert answer["Content-Type"] == "text/markdown; charset=utf-8"
    assert answer["Content-Disposition"] == 'attachment; filename="changelog-2026.12.02.md"'
    assert answer.content.decode() == changelog.release_entry(completed_release)


def test_the_whole_changelog_is_newest_first_in_constant_queries(
    client, cast, completed_release, django_assert_max_num_queries
):
    older = _release(version="2026.11.18", status=S.COMPLETED)
    older.window_start = WINDOW - dt.timedelta(days=14)
    older.window_end = older.window_start + dt.timedelta(hours=2)
    older.save()
    ScopeTicketFactory(release=older, key="ADM-1")
    _release(version="2026.12.16", status=S.PLANNED)  # not shipped: not in the changelog
    client.force_login(cast["arjun"])
    with django_assert_max_num_queries(12):
        text = client.get(reverse("comms:changelog_download")).content.decode()
    assert text.startswith("# Changelog")
    assert text.index("## 2026.12.02") < text.index("## 2026.11.18")
    assert "2026.12.16" not in text
    with django_assert_max_num_queries(12):
        assert client.get(reverse("comms:changelog")).status_code == 200


def test_a_changelog_needs_a_login(client, completed_release):
    answer = client.get(reverse("comms:changelog_download"))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


@time_machine.travel(WINDOW - dt.timedelta(hours=47), tick=False)
def test_the_release_comms_page_shows_the_heads_up_suggestion(client, cast):
    release = _release(status=S.FROZEN)
    client.force_login(cast["asha"])
    page = client.get(reverse("comms:release", args=[release.code])).content.decode()
    assert "Suggested now: Pre-release heads-up" in page
    assert "?kind=heads_up" in page


def test_a_partial_rollback_shows_in_the_changelog_and_the_announcement(
    client, cast, completed_release
):
    at = completed_release.completed_at
    rollback = Rollback.objects.create(
        release=completed_release,
        scope="partial",
        reason="Reschedule e-mails sent twice",
        actor=cast["kiran"],
        at=at,
    )
    item = RollbackItem.objects.create(
        release=completed_release,
        rollback=rollback,
        service=service("appointments"),
        strategy="redeploy_container",
        previous="appointments:2.3.0",
    )
    RollbackResult.objects.create(
        item=item, steps_performed="Redeployed 2.3.0", succeeded=True, actor=cast["kiran"], at=at
    )
    line = "- Appointments rolled back to appointments:2.3.0: Reschedule e-mails sent twice"
    entry = changelog.release_entry(completed_release)
    assert entry.startswith(
        "## 2026.12.02 — 2026-12-02 (final)\n\n**Rolled back in part:** Appointments."
    )
    assert line in entry.split("### Known issues")[1]
    client.force_login(cast["asha"])
    url = reverse("comms:compose", args=[completed_release.code]) + "?kind=announcement"
    assert line in html.unescape(client.get(url).content.decode())


def test_the_fragment_says_why_the_announcement_of_a_rolled_back_release_is_not_offered(
    cast, completed_release
):
    Release.objects.filter(pk=completed_release.pk).update(status=S.ROLLED_BACK)
    completed_release.refresh_from_db()
    request = RequestFactory().get("/")
    request.user = cast["asha"]
    comms = release_comms(completed_release, cast["asha"])
    assert comms["suggestion"] is None
    html_ = render_to_string("comms/_release_comms.html", {"comms": comms}, request)
    assert "?kind=announcement" not in html_
    assert 'data-not-yet="announcement"' in html_
    assert "was rolled back: there is no completion to announce" in html_
