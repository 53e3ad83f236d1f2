"""Writes of the communications app: template edits and sending a release message."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.comms.models import Audience, Message, MessageTemplate
from releasehub.comms.selectors import send_refusal
from releasehub.notify.models import Channel
from releasehub.notify.services import outbox_add_for_message
from releasehub.releases.models import Release


class CommsError(Exception):
    """A send the user can correct; shown on the page, nothing written."""


class FactsNotYet(CommsError):
    """The message would state what is not true of the release (yet); nothing is written."""


@transaction.atomic
def template_update(*, template: MessageTemplate, actor: User, subject: str, body: str) -> None:
    """Save an edited template. The caller validated it (`MessageTemplate.clean`)."""
    before = {"subject": template.subject, "body": template.body}
    template.subject, template.body, template.updated_by = subject, body, actor
    template.full_clean()
    template.save(update_fields=["subject", "body", "updated_by", "updated_at"])
    record_event(
        verb="comms.template_edited",
        target=template,
        actor=actor,
        summary=f"Message template edited: {template.get_kind_display()}",
        before=before,
        after={"subject": subject, "body": body},
    )


def _recipients(audiences: list[Audience]) -> list[tuple[str, str, User | None]]:
    out: list[tuple[str, str, User | None]] = []
    for audience in audiences:
        out += [(Channel.EMAIL, u.email, u) for u in audience.users()]
        out += [(Channel.EMAIL, a, None) for a in audience.addresses]
        if audience.webhook_url:
            out.append((Channel.CHAT, audience.webhook_url, None))
    return out


def _refuse_facts(release: Release, kind: str) -> None:
    if refusal := send_refusal(release, kind):
        raise FactsNotYet(refusal)


def message_send(
    *,
    release: Release,
    actor: User,
    kind: str,
    subject: str,
    body: str,
    audiences: list[Audience],
    token: uuid.UUID,
) -> tuple[Message, bool]:
    """Record the message and queue one delivery per recipient; (message, created).

    The form's token is unique: a double click or a resubmitted form finds the message it
    already sent and sends nothing more. Delivery runs in the notify task after commit, so a
    slow chat webhook never holds up the page. A message that would state what is not true of
    the release yet (selectors.send_refusal) raises FactsNotYet.
    """
    _refuse_facts(release, kind)
    if not audiences:
        raise CommsError("Choose at least one audience.")
    if existing := Message.objects.filter(token=token).first():
        return existing, False
    recipients = _recipients(audiences)
    if not recipients:
        raise CommsError("The chosen audiences have no e-mail address or chat webhook.")
    try:
        with transaction.atomic():
            # Again under the release's row lock: a rollback committed since is seen here.
            _refuse_facts(Release.objects.select_for_update().get(pk=release.pk), kind)
            message = Message.objects.create(
                token=token,
                release=release,
                kind=kind,
                subject=subject,
                body=body,
                sent_by=actor,
                sent_at=timezone.now(),
            )
            message.audiences.set(audiences)
            rows = outbox_add_for_message(
                message=message, recipients=recipients, subject=subject, body=body
            )
            record_event(
                verb="comms.sent",
                target=message,
                release=release,
                actor=actor,
                summary=f"{message.get_kind_display()} sent to "
                f"{', '.join(a.name for a in audiences)} ({len(rows)} deliveries)",
                after={"subject": subject, "audiences": [a.name for a in audiences]},
            )
    except IntegrityError:
        # Two submissions of one form at once: the other one committed first.
        existing = Message.objects.filter(token=token).first()
        if existing is None:
            raise
        return existing, False
    return message, True
