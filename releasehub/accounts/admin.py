from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from releasehub.accounts.models import RoleAssignment, RotaMember, Squad, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1


@admin.register(User)
class ReleaseHubUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]


@admin.register(Squad)
class SquadAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(RotaMember)
class RotaMemberAdmin(admin.ModelAdmin):
    list_display = ["position", "user", "active"]
    list_editable = ["active"]
    ordering = ["position"]
