from django.contrib import admin

from releasehub.releases.models import Release, Train


@admin.register(Train)
class TrainAdmin(admin.ModelAdmin):
    """Staff configure trains here; releases are planned from them in the app."""

    list_display = ["name", "anchor_date", "interval_days", "active"]
    list_editable = ["active"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Read-only: every change to a release goes through the app, which writes the timeline."""

    list_display = ["version", "kind", "status", "window_start", "release_manager"]
    list_filter = ["kind", "status"]
    search_fields = ["version", "summary"]
    date_hierarchy = "window_start"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
