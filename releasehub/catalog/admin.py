from django.contrib import admin

from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.admin_help import HelpTextsAdmin


@admin.register(Service)
class ServiceAdmin(HelpTextsAdmin):
    help_texts = {
        "promotion_order": "The release day promotes services in this order, lowest first: "
        "each waits for the one before it to close its monitoring window healthy.",
    }
    list_display = ["promotion_order", "name", "slug", "active"]
    ordering = ["promotion_order"]


@admin.register(FrontendApp)
class FrontendAppAdmin(admin.ModelAdmin):
    list_display = ["display_order", "name", "slug", "active"]
