from django.contrib import admin

from releasehub.audit.models import TimelineEvent


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    """Read-only: the timeline is evidence."""

    list_display = ["occurred_at", "verb", "summary", "actor", "automatic"]
    list_filter = ["verb", "automatic"]
    search_fields = ["summary", "reason"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
