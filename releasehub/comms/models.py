import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from releasehub.accounts.models import Role, User
from releasehub.core import limits
from releasehub.core.limits import TextLimit


class MessageKind(models.TextChoices):
    HEADS_UP = "heads_up", "Pre-release heads-up"
    ANNOUNCEMENT = "announcement", "Post-release announcement"
    HOTFIX = "hotfix", "Hotfix notification"


# The named placeholders a template may use, written `{name}`; placeholders.py fills them.
PLACEHOLDERS = {
    "version": "the release version",
    "window": "date and time of the release window (IST)",
    "completed_at": "when the release completed (IST)",
    "scope_summary": "one line on the scope",
    "code_freeze": "when the code freeze starts (IST)",
    "key_updates": "the scope tickets as bullets, by squad",
    "known_issues": "known issues and risks, with links",
    "hotfix_id": "the hotfix's version",
    "issue": "what the hotfix fixes",
    "affected_service": "the services the hotfix touches",
    "incident_link": "the hotfix's incident ticket",
    "release_link": "the release page in ReleaseHub",
    "changelog_link": "the release's changelog entry",
}
PLACEHOLDER_RE = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS})


class MessageTemplate(models.Model):
    """The runbook's communication templates, one per kind, edited by the RM or staff."""

    kind = models.CharField(max_length=20, choices=MessageKind.choices, unique=True)
    subject = models.CharField(max_length=limits.TITLE)
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            TextLimit(field="subject", limit=limits.TITLE),
            TextLimit(field="body", limit=limits.TEMPLATE_BODY),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        errors = {}
        for name in ("subject", "body"):
            if unknown := unknown_placeholders(getattr(self, name)):
                errors[name] = (
                    f"Unknown placeholder {', '.join('{' + u + '}' for u in unknown)}. "
                    f"Known placeholders: {', '.join('{' + k + '}' for k in PLACEHOLDERS)}."
                )
        if errors:
            raise ValidationError(errors)


class AudienceKind(models.TextChoices):
    SUPPORT = "support", "Support"
    OPS = "ops", "Ops"
    SQUAD = "squad", "Squad"
    EVERYONE = "everyone", "Everyone"


class Audience(models.Model):
    """Who a release message goes to: people by role or squad, extra addresses, a chat webhook.
    Staff edit audiences in the admin."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=AudienceKind.choices)
    role = models.CharField(
        max_length=20, choices=Role.choices, blank=True, help_text="Everyone holding this role."
    )
    squad = models.ForeignKey(
        "accounts.Squad",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The squad's representatives.",
    )
    extra_emails = models.TextField(blank=True, help_text="More addresses, one per line.")
    webhook_url = models.URLField(
        max_length=500, blank=True, help_text="Incoming webhook (Slack's JSON format)."
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.CheckConstraint(
                name="audience_squad_iff_squad_kind",
                condition=(Q(kind="squad") & Q(squad__isnull=False))
                | (~Q(kind="squad") & Q(squad__isnull=True)),
                violation_error_message="Name a squad for a squad audience, and only then.",
            ),
            TextLimit(field="extra_emails", limit=limits.ADDRESSES),
        ]

    def __str__(self) -> str:
        return self.name

    def users(self) -> list[User]:
        people = User.objects.filter(is_active=True).exclude(email="")
        if self.kind == AudienceKind.EVERYONE:
            return list(people.order_by("username"))
        who = Q(pk__in=[])
        if self.role:
            who |= Q(role_assignments__role=self.role)
        if self.squad_id:
            who |= Q(role_assignments__role=Role.SQUAD_REP, role_assignments__squad=self.squad_id)
        return list(people.filter(who).distinct().order_by("username"))

    @property
    def addresses(self) -> list[str]:
        return [a.strip() for a in self.extra_emails.splitlines() if a.strip()]


class Message(models.Model):
    """A release message as it was sent. Append-only evidence; `token` (one per compose form)
    makes a double click or a resubmitted form send it once."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token = models.UUIDField(unique=True)
    release = models.ForeignKey(
        "releases.Release", on_delete=models.PROTECT, related_name="comms_messages"
    )
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    subject = models.CharField(max_length=limits.TITLE)
    body = models.TextField()
    audiences = models.ManyToManyField(Audience, related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            TextLimit(field="subject", limit=limits.TITLE),
            TextLimit(field="body", limit=limits.MESSAGE_BODY),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
