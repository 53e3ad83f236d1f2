"""Reads of the communications app, for the release page's fragment and the compose page."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from releasehub.accounts.models import Role, User
from releasehub.audit import live
from releasehub.comms.changelog import is_final
from releasehub.comms.models import Message, MessageKind
from releasehub.releases.access import is_rm
from releasehub.releases.models import Release

S = Release.Status


@dataclass(frozen=True)
class Suggestion:
    kind: MessageKind
    reason: str

    @property
    def label(self) -> str:
        return self.kind.label


def may_send(user: User, kind: str) -> bool:
    """Only the RM sends release messages; SRE may send the hotfix notice too."""
    return is_rm(user) or (kind == MessageKind.HOTFIX and user.has_role(Role.SRE))


def send_refusal(release: Release, kind: str) -> str:
    """Why a message of `kind` may not go out for `release` now ("" when it may): what it says
    must already be true. The fragment offers, the compose page opens and the send service
    accepts a message only when this is empty."""
    status = f"{release.version} is {release.get_status_display()}"
    if kind == MessageKind.ANNOUNCEMENT:
        if release.status == S.ROLLED_BACK:
            return f"{release.version} was rolled back: there is no completion to announce."
        if release.status not in (S.MONITORING, S.COMPLETED) or release.completed_at is None:
            return (
                f"The announcement says when the release completed; {status}: "
                "it has not completed yet."
            )
    if kind == MessageKind.HOTFIX:
        if not release.is_hotfix:
            return "A hotfix notification is sent for a hotfix release only."
        if release.status != S.DEPLOYING:
            return (
                f"The hotfix notification says the hotfix is deploying now; {status}: "
                "it is not deploying."
            )
    return ""


def suggested_message(
    release: Release, sent_kinds: set[str], now: dt.datetime | None = None
) -> Suggestion | None:
    """The message the runbook calls for at this point of the release's clock, unless sent.

    Heads-up when the pre-release checklist is due (T-48h) until the window opens; the
    announcement once the release is completed; the hotfix notice while a hotfix deploys.
    """
    now = now or timezone.now()
    if release.is_hotfix:
        if not send_refusal(release, MessageKind.HOTFIX) and MessageKind.HOTFIX not in sent_kinds:
            return Suggestion(MessageKind.HOTFIX, "The hotfix is deploying now.")
        return None
    if not send_refusal(release, MessageKind.ANNOUNCEMENT):
        if MessageKind.ANNOUNCEMENT not in sent_kinds:
            return Suggestion(
                MessageKind.ANNOUNCEMENT, "The release is complete: tell Support and Ops."
            )
        return None
    due = release.clock.pre_release_due
    if (
        release.status in (S.PLANNED, S.FROZEN, S.GO)
        and due <= now < release.window_start
        and MessageKind.HEADS_UP not in sent_kinds
    ):
        return Suggestion(MessageKind.HEADS_UP, "The pre-release checklist is due (T-48h).")
    return None


def messages_for_release(release: Release) -> list[Message]:
    return list(
        Message.objects.filter(release=release)
        .select_related("sent_by")
        .prefetch_related("audiences")
    )


def release_comms(
    release: Release, user: User, now: dt.datetime | None = None, version: str | None = None
) -> dict:
    """Context of templates/comms/_release_comms.html (3 queries). With the release's `version`
    (a page that read it) the sent messages are shared at that version (audit.live.shared):
    sending one writes a timeline event in the same transaction."""
    sent = (
        messages_for_release(release)
        if version is None
        else live.shared(
            f"comms:{release.code.hex}", version, lambda: messages_for_release(release)
        )
    )
    suggestion = suggested_message(release, {m.kind for m in sent}, now)
    kinds = (
        [MessageKind.HOTFIX]
        if release.is_hotfix
        else [
            MessageKind.HEADS_UP,
            MessageKind.ANNOUNCEMENT,
        ]
    )
    refused = {k: send_refusal(release, k) for k in kinds if may_send(user, k)}
    return {
        "release": release,
        "suggestion": suggestion,
        "can_send_suggestion": bool(suggestion and may_send(user, suggestion.kind)),
        "compose_kinds": [k for k, why in refused.items() if not why],
        # An expected message not offered yet, and why.
        "not_yet": [(k, why) for k, why in refused.items() if why],
        "sent_messages": sent,
        "changelog_final": is_final(release),
    }
