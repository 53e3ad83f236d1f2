"""Making, replacing and revoking a person's calendar feed link."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.feeds.models import FeedToken, new_secret, secret_digest

# A feed is fetched every few minutes to hours; stamping each fetch would write that often.
LAST_USED_GRANULARITY = dt.timedelta(hours=1)


def _revoke_live(user: User, now: dt.datetime) -> FeedToken | None:
    live = FeedToken.objects.filter(user=user, revoked_at__isnull=True).first()
    if live is None:
        return None
    # Guarded: of two requests revoking at once, one does it and writes the event.
    if FeedToken.objects.filter(pk=live.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
        return None
    record_event(
        verb="feeds.link_revoked",
        target=live,
        actor=user,
        summary=f"{user}'s calendar feed link was revoked",
        occurred_at=now,
    )
    return live


def feed_token_create(*, user: User) -> str:
    """A new link for `user`, revoking the live one; returns the secret, which is not stored."""
    now = timezone.now()
    secret = new_secret()
    try:
        with transaction.atomic():
            # The person's row serialises two clicks at once (SQLite serialises writers anyway).
            User.objects.select_for_update().filter(pk=user.pk).exists()
            _revoke_live(user, now)
            token = FeedToken.objects.create(
                user=user, digest=secret_digest(secret), created_at=now
            )
            record_event(
                verb="feeds.link_created",
                target=token,
                actor=user,
                summary=f"{user} made a calendar feed link",
                occurred_at=now,
            )
    except IntegrityError:
        raise ServiceError("Another link was made at the same moment; reload the page.") from None
    return secret


@transaction.atomic
def feed_token_revoke(*, user: User) -> None:
    if _revoke_live(user, timezone.now()) is None:
        raise ServiceError("You have no calendar feed link to revoke.")


def feed_token_resolve(secret: str) -> FeedToken | None:
    """The live link of an active person for `secret`, stamped as used (at most hourly)."""
    token = (
        FeedToken.objects.filter(
            digest=secret_digest(secret), revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_GRANULARITY:
        # Not a domain change, so no timeline event: it tells the person the link is in use.
        FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
