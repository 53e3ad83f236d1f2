from django.contrib import admin

from releasehub.readiness.models import ChecklistTemplateItem


@admin.register(ChecklistTemplateItem)
class ChecklistTemplateItemAdmin(admin.ModelAdmin):
    """Staff edit the templates; releases already created keep their own copies."""

    list_display = ["phase", "position", "text", "owner_role", "computed_by", "active"]
    list_filter = ["phase", "active"]
    ordering = ["phase", "position"]
