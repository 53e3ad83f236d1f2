from django.contrib import admin

from releasehub.core.admin_help import HelpTextsAdmin
from releasehub.readiness.models import ChecklistTemplateItem


@admin.register(ChecklistTemplateItem)
class ChecklistTemplateItemAdmin(HelpTextsAdmin):
    """Staff edit the templates; releases already created keep their own copies."""

    help_texts = {
        "position": "The item's order within its phase, lowest first.",
        "text": "New releases copy the template when they are created; releases already "
        "created keep their own copies.",
        "computed_by": "Leave empty for an item people tick; a name here makes ReleaseHub "
        "compute the item's state from its data.",
    }

    list_display = ["phase", "position", "text", "owner_role", "computed_by", "active"]
    list_filter = ["phase", "active"]
    ordering = ["phase", "position"]
