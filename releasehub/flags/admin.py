from django.contrib import admin

from releasehub.flags.models import FeatureFlag, FlagEnvironmentState


class FlagEnvironmentStateInline(admin.TabularInline):
    model = FlagEnvironmentState
    extra = 0


@admin.register(FeatureFlag)
class FeatureFlagAdmin(admin.ModelAdmin):
    list_display = ["key", "squad", "default_state", "rollout_strategy", "status"]
    list_filter = ["status", "squad"]
    search_fields = ["key", "description"]
    inlines = [FlagEnvironmentStateInline]
