from django.utils import timezone

from releasehub.schedule.models import ActionStatus, ScheduledAction


def overdue_count() -> int:
    """Pending actions whose due time has passed (the sweeper should have claimed them)."""
    return ScheduledAction.objects.filter(
        status=ActionStatus.PENDING, due_at__lt=timezone.now()
    ).count()
