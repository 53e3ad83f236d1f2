from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from releasehub.accounts.hooks import Event, announce
from releasehub.accounts.models import RoleAssignment, RotaMember, Squad, User

admin.site.site_header = "ReleaseHub administration"
admin.site.site_title = "ReleaseHub admin"


class RoleAssignmentFormSet(BaseInlineFormSet):
    """A tabular inline labels its columns with <th>s, not <label>s: each control gets its own
    name ("Role, assignment 2"), so a screen reader can tell the rows apart."""

    def add_fields(self, form: ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        row = "new" if index is None or index >= self.initial_form_count() else index + 1
        for name, label in [("role", "Role"), ("squad", "Squad"), ("DELETE", "Delete")]:
            if name in form.fields:
                widget: Any = form.fields[name].widget
                # The squad's select sits inside the admin's wrapper (the add/change links).
                getattr(widget, "widget", widget).attrs["aria-label"] = f"{label}, assignment {row}"


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    formset = RoleAssignmentFormSet
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


# Importing axes.admin registered axes' own; this one lets staff (not only superusers) unlock.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class SignInAttemptAdmin(AccessAttemptAdmin):
    """Recent failed sign-ins per account, address and browser. Unlocking forgets them; every
    unlock goes on the audit timeline (and the admin's own log) with who did it."""

    actions = ["unlock", "cleanup_expired_attempts"]

    def _staff(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._staff(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Unlock: forget the selected failed sign-ins")
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        attempts = list(queryset)
        self.log_deletions(request, attempts)
        self.delete_queryset(request, queryset)
        self.message_user(request, f"Unlocked {len(attempts)} sign-in attempt record(s).")

    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        super().delete_model(request, obj)
        _announce_unlock(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        attempts = list(queryset)
        super().delete_queryset(request, queryset)
        _announce_unlock(request, attempts)


def _announce_unlock(request: HttpRequest, attempts: list[AccessAttempt]) -> None:
    # One line per account and address, however many browsers its failures came from.
    unique = {(a.username, a.ip_address): a for a in attempts}.values()
    users = User.objects.in_bulk([a.username for a in unique if a.username], field_name="username")
    for attempt in unique:
        announce(
            Event.UNLOCKED,
            username=attempt.username,
            ip_address=attempt.ip_address,
            actor=request.user,
            target=users.get(attempt.username or "", attempt),
        )
