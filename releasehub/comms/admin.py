from django.contrib import admin

from releasehub.comms.forms import AudienceForm
from releasehub.comms.models import Audience, Message, MessageTemplate


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin):
    form = AudienceForm
    list_display = ["name", "kind", "role", "squad", "webhook_url", "active"]
    list_filter = ["kind", "active"]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
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
