from django.contrib import admin

from releasehub.catalog.models import FrontendApp, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["promotion_order", "name", "slug", "active"]
    ordering = ["promotion_order"]


@admin.register(FrontendApp)
class FrontendAppAdmin(admin.ModelAdmin):
    list_display = ["display_order", "name", "slug", "active"]
