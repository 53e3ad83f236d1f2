from django.contrib import admin

from releasehub.catalog.models import FeatureFlag, FlagEnvironmentState, FrontendApp, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["promotion_order", "name", "slug", "active"]
    ordering = ["promotion_order"]


@admin.register(FrontendApp)
class FrontendAppAdmin(admin.ModelAdmin):
    list_display = ["display_order", "name", "slug", "active"]


class FlagEnvironmentStateInline(admin.TabularInline):
    model = FlagEnvironmentState
    extra = 0


@admin.register(FeatureFlag)
class FeatureFlagAdmin(admin.ModelAdmin):
    list_display = ["key", "squad", "default_state", "rollout_strategy", "status"]
    list_filter = ["status", "squad"]
    search_fields = ["key", "description"]
    inlines = [FlagEnvironmentStateInline]
