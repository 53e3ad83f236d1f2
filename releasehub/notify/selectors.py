from releasehub.notify.models import Outbox
from releasehub.releases.models import Release


def deliveries_for_release(release: Release) -> list[Outbox]:
    """The release's delivery log: every message, its recipient, status and attempts (1 query)."""
    return list(
        Outbox.objects.filter(release=release)
        .select_related("action", "message")
        .order_by("-created_at", "-id")
    )
