"""What each timed action does. Each effect runs inside the executor's transaction, with the
release locked and the action already marked done, and returns a note for the action's row.

Effects write state through release services and messages through the outbox, so the whole
effect commits or rolls back with the action's status: it happens once or not at all.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from releasehub.accounts.models import Role, User
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import Service
from releasehub.notify.services import outbox_add
from releasehub.readiness.selectors import open_item_owners, unsigned_signers
from releasehub.releases.clock import POST_RELEASE_WATCH, ist
from releasehub.releases.models import FollowUp, HotfixFollowUp, Release
from releasehub.releases.services.lifecycle import release_freeze, release_transition
from releasehub.schedule.models import ActionKind, ScheduledAction

S = Release.Status
Effect = Callable[[ScheduledAction], str]


def release_url(release: Release | None) -> str:
    """The absolute link of the page to act on (the release page, or the dashboard)."""
    if release is None:
        return settings.SITE_URL + reverse("pages:dashboard")
    try:
        path = reverse("pages:release", kwargs={"code": release.code})
    except NoReverseMatch:
        path = f"/releases/{release.code}/"
    return settings.SITE_URL + path


# Recipients ---------------------------------------------------------------------------------


def with_roles(*roles: str) -> list[User]:
    return list(
        User.objects.filter(is_active=True, is_machine=False, role_assignments__role__in=roles)
        .distinct()
        .order_by("username")
    )


def _rm_and(release: Release | None, *roles: str) -> list[User]:
    people = with_roles(*roles) if roles else []
    if release is not None and release.release_manager is not None:
        people.insert(0, release.release_manager)
    return people


def pre_release_checklist_recipients(release: Release) -> list[User]:
    """T-48h: the RM and the owners of open pre-release checklist items."""
    owners = [u for u in open_item_owners(release) if u.pk != release.release_manager_id]
    return _rm_and(release) + owners


def go_no_go_reminder_recipients(release: Release) -> list[User]:
    """09:00 IST: the signers whose sign-off is missing or stale (the RM gets 09:30's summary)."""
    return unsigned_signers(release)


def pre_release_meeting_recipients(release: Release) -> list[User]:
    return _rm_and(release, Role.SQUAD_REP, Role.SRE, Role.QA_LEAD)


# Messages -----------------------------------------------------------------------------------


def notify(
    action: ScheduledAction,
    users: Iterable[User],
    *,
    subject: str,
    what: str,
    due_by: dt.datetime,
    details: Iterable[str] = (),
) -> int:
    """One e-mail per person: what is due, by when in IST, and the link to the page to act on.
    Public: the health gates (rollout) send their messages through it too."""
    release = action.release
    lines = [what, "", f"Due by: {ist(due_by)}"]
    if release is not None:
        lines.append(f"Release: {release.version} (window opens {ist(release.window_start)})")
    lines += list(details)
    lines += ["", f"Act on it: {release_url(release)}", "", "-- ReleaseHub"]
    prefix = f"[{release.version}] " if release is not None else ""
    rows = outbox_add(action=action, users=users, subject=prefix + subject, body="\n".join(lines))
    return len(rows)


def _event(action: ScheduledAction, verb: str, summary: str, target=None) -> None:
    release = action.release
    record_event(verb=verb, target=target or release or action, release=release, summary=summary)


def _release_of(action: ScheduledAction) -> Release:
    """Planning gives every kind but the quarterly runbook review a release."""
    if action.release is None:
        raise ValueError(f"timed action {action.pk} ({action.kind}) has no release")
    return action.release


def _service_of(action: ScheduledAction) -> Service:
    if action.service is None:
        raise ValueError(f"timed action {action.pk} ({action.kind}) has no service")
    return action.service


# Effects ------------------------------------------------------------------------------------


def freeze(action: ScheduledAction) -> str:
    release = _release_of(action)
    if release.status != S.PLANNED:
        # Frozen early by hand, or already past Go/No-Go: there is nothing left to freeze.
        return f"Release was already {release.get_status_display()}; nothing to freeze."
    release_freeze(release=release, actor=None)
    sent = notify(
        action,
        _rm_and(release, Role.SQUAD_REP),
        subject="Code freeze has started",
        what=(
            f"Code freeze for release {release.version} started at {ist(action.due_at)}. "
            "New scope now needs a freeze exception approved by the Release Manager."
        ),
        due_by=release.window_start,
    )
    return f"Release frozen; {sent} people notified."


def pre_release_due(action: ScheduledAction) -> str:
    release = _release_of(action)
    freeze_at = release.clock.freeze_at
    sent = notify(
        action,
        pre_release_checklist_recipients(release),
        subject="Pre-release checklist due (T-48h)",
        what=(
            "The pre-release checklist is due now: scope finalised and tagged, tickets merged "
            "with CI passing, infra changes verified by SRE, rollback plans documented, "
            "feature flags listed."
        ),
        due_by=freeze_at or release.window_start,
        details=[f"Code freeze: {ist(freeze_at)}"] if freeze_at else [],
    )
    return f"{sent} people reminded."


def pre_release_meeting(action: ScheduledAction) -> str:
    release = _release_of(action)
    sent = notify(
        action,
        pre_release_meeting_recipients(release),
        subject="Pre-release meeting (T-24h)",
        what=f"The pre-release meeting for {release.version} is now.",
        due_by=action.due_at,
        details=[
            "",
            "Agenda:",
            f"1. Scope: {release.summary or 'see the release page'}",
            "2. Risks and their mitigations",
            "3. Pending approvals (freeze exceptions, infra changes)",
            "4. On-call: SRE, backend, frontend, QA, support",
            "5. Monitoring dashboards and alerts validated for the new features",
        ],
    )
    return f"Meeting reminder sent to {sent} people."


def go_no_go_reminder(action: ScheduledAction) -> str:
    release = _release_of(action)
    if release.status not in (S.PLANNED, S.FROZEN):
        return f"Release is {release.get_status_display()}; no sign-off reminder needed."
    go_no_go = release.clock.go_no_go
    sent = notify(
        action,
        go_no_go_reminder_recipients(release),
        subject="Go/No-Go sign-off due at 09:30 IST",
        what=f"Record your Go/No-Go sign-off for {release.version}.",
        due_by=go_no_go,
    )
    return f"{sent} signers reminded."


def go_no_go_summary(action: ScheduledAction) -> str:
    release = _release_of(action)
    if release.status not in (S.PLANNED, S.FROZEN):
        return f"Release is {release.get_status_display()}; decision already recorded."
    sent = notify(
        action,
        _rm_and(release),
        subject="Go/No-Go: record the decision",
        what=(
            f"Go/No-Go for {release.version} is now. Review the sign-offs on the release "
            "page and record Go or No-Go."
        ),
        due_by=release.window_start,
    )
    return f"Summary sent to the RM ({sent})."


WINDOW_JUDGES: list[Effect] = []


def monitoring_window_closes(action: ScheduledAction) -> str:
    release, service = _release_of(action), _service_of(action)
    following = (
        Service.objects.filter(active=True, promotion_order__gt=service.promotion_order)
        .order_by("promotion_order")
        .first()
    )
    then = f"{following.name} may be promoted now." if following else "All services are done."
    # One message per person per action (the outbox's key): a judge's verdict goes in it.
    verdict = " ".join(v for judge in WINDOW_JUDGES if (v := judge(action)))
    then = verdict or then
    window = f"{settings.MONITORING_WINDOW_MINUTES:g}-minute"
    _event(
        action,
        "rollout.monitoring_window_closed",
        f"{service.name}: {window} monitoring window closed. {then}",
        target=action,
    )
    notify(
        action,
        _rm_and(release, Role.SRE),
        subject=f"{service.name} monitoring window closed",
        what=f"The {window} monitoring window of {service.name} has closed. {then}",
        due_by=action.due_at,
    )
    return then


def post_release_watch_ends(action: ScheduledAction) -> str:
    release = _release_of(action)
    if release.status == S.MONITORING:
        release_transition(
            release=release, to=S.COMPLETED, actor=None, reason="24-hour post-release watch ended"
        )
    sent = notify(
        action,
        _rm_and(release),
        subject="Post-release watch ended: finish the checklist",
        what=(
            f"The 24-hour post-release monitoring window of {release.version} has closed. "
            "Log any anomalies, finish the post-release checklist and hold a retrospective "
            "if there were critical issues."
        ),
        due_by=action.due_at,
        details=[
            f"Watch: {ist(action.due_at - POST_RELEASE_WATCH)} to {ist(action.due_at)}",
        ],
    )
    return f"Watch closed; RM asked to finish the post-release checklist ({sent})."


def back_merge_confirmed(release: Release) -> bool:
    return HotfixFollowUp.objects.filter(hotfix__release=release, kind=FollowUp.BACK_MERGE).exists()


def back_merge_reminder(action: ScheduledAction) -> str:
    release = _release_of(action)
    if back_merge_confirmed(release):
        return "Back-merge already confirmed; reminders stop."
    sent = notify(
        action,
        _rm_and(release, Role.SRE),
        subject="Hotfix back-merge not confirmed yet",
        what=(
            f"Hotfix {release.version} is deployed but its back-merge into main is not "
            "confirmed. Back-merge it and confirm on the release page; this reminder "
            "repeats every 4 hours until then."
        ),
        due_by=action.due_at,
    )
    return f"{sent} people reminded."


def runbook_review(action: ScheduledAction) -> str:
    release = action.release
    if release is None:
        what = "It is a new quarter: review and update the release management runbook."
    else:
        what = (
            f"A SEV-1 incident was caused by release {release.version}: review and update the "
            "release management runbook."
        )
    sent = notify(
        action,
        _rm_and(release, Role.RELEASE_MANAGER),
        subject="Runbook review due",
        what=what,
        due_by=action.due_at + dt.timedelta(days=7),
        details=[action.note] if action.note else [],
    )
    return f"{sent} people asked to review the runbook."


def probe(action: ScheduledAction) -> str:
    return ""


EFFECTS: dict[str, Effect] = {
    ActionKind.FREEZE: freeze,
    ActionKind.PRE_RELEASE_DUE: pre_release_due,
    ActionKind.PRE_RELEASE_MEETING: pre_release_meeting,
    ActionKind.GO_NO_GO_REMINDER: go_no_go_reminder,
    ActionKind.GO_NO_GO_SUMMARY: go_no_go_summary,
    ActionKind.MONITORING_WINDOW_CLOSES: monitoring_window_closes,
    ActionKind.POST_RELEASE_WATCH_ENDS: post_release_watch_ends,
    ActionKind.BACK_MERGE_REMINDER: back_merge_reminder,
    ActionKind.RUNBOOK_REVIEW: runbook_review,
    ActionKind.PROBE: probe,
}


# What apps above this one add. schedule may not import them (rollout imports schedule), so
# they register here from their AppConfig.ready(); each runs in the executor's transaction.
def register(kind: str, effect: Effect) -> None:
    """The effect of a kind whose code lives in an app above (idempotent)."""
    EFFECTS[kind] = effect


def judge_windows_with(judge: Effect) -> None:
    """A closing window is judged by `judge` (the health gates): it returns the verdict said in
    the closing message, or "" when it does not judge this service (idempotent)."""
    if judge not in WINDOW_JUDGES:
        WINDOW_JUDGES.append(judge)
