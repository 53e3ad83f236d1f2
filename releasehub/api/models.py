import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from releasehub.api.scopes import Scope


def secret_hash(secret: str) -> str:
    """Tokens are random (256 bits), so one unsalted SHA-256 is enough to make a leaked table
    useless and keeps the lookup a single indexed query."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for /api/v1/. The secret is shown once when made; only its hash is kept."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", "Personal"
        INTEGRATION = "integration", "Integration"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=80)
    # Who acts: the person (personal) or the pipeline's machine user (integration).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The first characters of the secret, to tell tokens apart in lists and logs.
    prefix = models.CharField(max_length=12)
    hashed = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    # An integration may be limited to some services and apps; empty means all.
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="+")
    apps = models.ManyToManyField("catalog.FrontendApp", blank=True, related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="apitoken_unique_live_name",
                violation_error_message="A live token with this name exists already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_integration(self) -> bool:
        return self.kind == self.Kind.INTEGRATION

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    def has_scope(self, scope: Scope | str) -> bool:
        return scope in self.scopes

    @property
    def label(self) -> str:
        """How the timeline names what carried the change."""
        return f"API token {self.name} ({self.get_kind_display().lower()}, {self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed for 24 hours.

    Keyed by the hash of the bearer token (no lookup needed before the view runs) and the key;
    the unique index is also the lock: a second request with the same key waits on the first's
    insert until it commits, then replays its answer (api/middleware.py).
    """

    token_hash = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash", "key"], name="idempotency_unique_key")
        ]
        indexes = [
            # Read by the purge (api/tasks.py): records older than a day.
            models.Index(fields=["created_at"], name="idempotency_by_age"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
