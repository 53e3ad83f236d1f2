from django.contrib import admin

from releasehub.comms.forms import AudienceForm
from releasehub.comms.models import PLACEHOLDERS, Audience, Message, MessageTemplate
from releasehub.core.admin_help import HelpTextsAdmin

_KNOWN = "; ".join(f"{{{name}}}: {meaning}" for name, meaning in PLACEHOLDERS.items())


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin):
    form = AudienceForm
    list_display = ["name", "kind", "role", "squad", "webhook_url", "active"]
    list_filter = ["kind", "active"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(HelpTextsAdmin):
    help_texts = {
        "subject": "May use the placeholders listed under the body.",
        "body": "Messages composed from now on use it; messages already sent keep their text. "
        f"Placeholders, written in braces: {_KNOWN}.",
    }
    list_display = ["kind", "subject", "updated_at"]
    readonly_fields = ["updated_by"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Sent messages are evidence: read only."""

    list_display = ["release", "kind", "subject", "sent_by", "sent_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
