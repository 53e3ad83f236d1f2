"""Issue 19, item 6: the calendar's states in words, and the timed-actions tables read right
(header scopes, a named Retry column, spans that match, a look of its own for each status)."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from playwright.sync_api import expect

from releasehub.accounts.models import Role
from releasehub.releases.clock import IST
from releasehub.releases.models import Release
from releasehub.releases.selectors import CalendarDay, release_events
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import release_in, user_with


@pytest.mark.clock
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_calendar_says_today_and_frozen_in_words(page, demo_data):
    page.login("asha")
    page.goto("/calendar/")
    today = page.locator("table.month td[aria-current=date]")
    expect(today).to_have_count(1)
    expect(today).to_contain_text("Today")
    assert today.locator(".daynum").inner_text() == str(timezone.now().astimezone(IST).day)
    frozen = page.locator("table.month td.frozen")
    assert frozen.count() > 0
    for cell in frozen.all():
        assert "(code freeze)" in cell.text_content()


@pytest.mark.clock
@pytest.mark.django_db
def test_a_cancelled_release_on_the_calendar_says_so_in_words():
    release = release_in(7, status=Release.Status.CANCELLED)
    events = release_events(release)
    day = CalendarDay(day=events[-1].local.date(), in_month=True, events=[events[-1]])
    html = render_to_string(
        "releases/calendar.html#calendar",
        {"month": day.day, "weeks": [[day]], "events": events, "today": None},
    )
    assert html.count("(cancelled)") == 1 + len(events)  # the grid's cell and the list


STATUS_LOOK = """els => els.map(el => {
  const s = getComputedStyle(el);
  return [el.textContent.trim(), s.backgroundColor, s.color, s.borderStyle].join(" | ");
})"""


@pytest.mark.clock
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_timed_actions_tables_have_scopes_a_named_retry_column_and_a_look_per_status(page):
    release = release_in(7)
    sre = user_with(Role.SRE)
    now = timezone.now()
    week = dt.timedelta(days=7)
    for kind, status, due in [
        (ActionKind.FREEZE, ActionStatus.FAILED, now - week),
        (ActionKind.PRE_RELEASE_DUE, ActionStatus.PENDING, now - dt.timedelta(hours=1)),
        (ActionKind.PRE_RELEASE_MEETING, ActionStatus.DONE, now - week),
        (ActionKind.GO_NO_GO_REMINDER, ActionStatus.PENDING, now + week),
    ]:
        ScheduledAction.objects.create(release=release, kind=kind, status=status, due_at=due)
    page.login(sre.username)
    page.goto("/timed-actions/")
    expect(page.locator("#failed-heading")).to_be_visible()
    headers = page.locator("#timed-actions th")
    assert headers.count() > 0
    assert all(th.get_attribute("scope") == "col" for th in headers.all())
    assert all(th.text_content().strip() for th in headers.all()), "a header without a name"
    failed = page.locator("section[aria-labelledby=failed-heading] table")
    expect(failed.locator("thead th").last).to_have_text("Retry")
    # Every "None." row spans exactly the columns of its table.
    for table in page.locator("#timed-actions table").all():
        columns = table.locator("thead th").count()
        for cell in table.locator("td[colspan]").all():
            assert int(cell.get_attribute("colspan")) == columns
    looks = page.locator("#timed-actions .status").evaluate_all(STATUS_LOOK)
    by_word = {look.split(" | ")[0]: look.split(" | ", 1)[1] for look in looks}
    assert {"Failed", "Overdue", "Pending"} <= by_word.keys()
    assert len({by_word[w] for w in ("Failed", "Overdue", "Pending")}) == 3, by_word

    page.goto(f"/releases/{release.code}/stages/watch/")  # the release's own list
    table = page.locator("#timed-actions table")
    statuses = table.locator(".status").evaluate_all(STATUS_LOOK)
    by_word = {look.split(" | ")[0]: look.split(" | ", 1)[1] for look in statuses}
    assert {"Failed", "Done", "Pending"} <= by_word.keys()
    assert len({by_word[w] for w in ("Failed", "Done", "Pending")}) == 3, by_word
    assert all(th.get_attribute("scope") == "col" for th in table.locator("th").all())
