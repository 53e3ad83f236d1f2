"""A person's secret calendar feed link. Only a hash of the secret is kept, like a password."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    # 256 bits: a calendar app holds the URL with no session, so the URL is the credential.
    return secrets.token_urlsafe(32)


class FeedToken(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The secret is looked up by its hash; a lookup by digest leaks nothing a timing attack
    # could use, since the attacker does not choose the digest's bytes.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # "Make a new link" revokes the old one in the same transaction; this keeps two
            # racing clicks from leaving a person with two live links.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="feed_token_one_live_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed link of {self.user} ({'revoked' if self.revoked_at else 'live'})"
