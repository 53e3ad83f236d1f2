"""Staff connect repositories here (provider, full name, secret, squads); deliveries and alerts
are read on their own pages (/webhooks/deliveries/, /webhooks/alerts/)."""

from django.contrib import admin

from releasehub.webhooks.models import Repository


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ["full_name", "provider", "enabled", "created_at"]
    list_filter = ["provider", "enabled"]
    search_fields = ["full_name"]
    filter_horizontal = ["squads"]
