from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Role, RoleAssignment
from releasehub.audit import live
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.notify.selectors import deliveries_for_release
from releasehub.notify.services import outbox_retry
from releasehub.schedule.access import may_operate
from releasehub.schedule.models import ActionStatus, ScheduledAction
from releasehub.schedule.selectors import OVERDUE_AFTER, PAGE_ROWS, overview
from releasehub.schedule.services import action_retry


def _require_sre_or_staff(request: AuthedRequest) -> None:
    if not may_operate(request.user):
        raise PermissionDenied("Timed actions are for SRE and staff.")


def _overview_marker(request: AuthedRequest) -> str:
    """What the page shows, in one query (the partial indexes of pending and failed rows):
    each list's size and sum of ids, the overdue count, and whether the user is SRE. None of
    these rows writes a timeline event when its status changes (a claim, a failed delivery)."""
    actions, outbox = ScheduledAction._meta.db_table, Outbox._meta.db_table
    roles = RoleAssignment._meta.db_table
    overdue_before = timezone.now() - OVERDUE_AFTER
    sql = (
        f"SELECT (SELECT count(*) FROM {roles} WHERE user_id = %s AND role = %s),"
        f" (SELECT count(*) FROM {actions} WHERE status = %s AND due_at < %s)"
        + "".join(
            f", (SELECT count(*) FROM {table} WHERE status = %s),"
            f" (SELECT coalesce(sum(id), 0) FROM {table} WHERE status = %s)"
            for table in (actions, actions, outbox)
        )
    )
    statuses = [ActionStatus.PENDING, ActionStatus.FAILED, DeliveryStatus.FAILED]
    params: list[Any] = [request.user.pk, Role.SRE, ActionStatus.PENDING, overdue_before]
    with connection.cursor() as cursor:
        cursor.execute(sql, params + [s for status in statuses for s in (status, status)])
        sre, *counts = cursor.fetchone()
    if not (request.user.is_staff or sre):
        raise PermissionDenied("Timed actions are for SRE and staff.")
    return "a" + ".".join(str(n) for n in counts)


@require_GET
@login_required
@live.polled(_overview_marker)
def action_overview(request: AuthedRequest, live_since: str) -> HttpResponse:
    _require_sre_or_staff(request)
    lists = {
        **overview(timezone.now()),
        "deliveries": Outbox.objects.filter(status=DeliveryStatus.FAILED)
        .select_related("release")
        .order_by("created_at", "id"),
    }
    # One page parameter per list (?overdue=2&failed=3), so paging one keeps the others; the
    # poll asks for the same URL, so it keeps them too.
    context: dict[str, object] = {
        name: paginate(request, rows, PAGE_ROWS, param=name, label=f"{name.title()} pages")
        for name, rows in lists.items()
    }
    context["live_since"] = live_since
    template = "schedule/overview.html"
    if request.htmx:
        template += "#timed-actions"
    return render(request, template, context)


@require_POST
@login_required
def action_retry_view(request: AuthedRequest, code) -> HttpResponse:
    _require_sre_or_staff(request)
    action = get_object_or_404(ScheduledAction, code=code)
    if action_retry(action, actor=request.user):
        messages.success(request, f"{action.get_kind_display()} will be retried now.")
    else:
        messages.error(request, "That action is no longer failed; nothing changed.")
    return redirect("schedule:overview")


@require_POST
@login_required
def delivery_retry_view(request: AuthedRequest, code) -> HttpResponse:
    """Retry one failed delivery, from the timed-actions page or a release's delivery log."""
    _require_sre_or_staff(request)
    row = get_object_or_404(Outbox.objects.select_related("release"), code=code)
    if outbox_retry([row], actor=request.user):
        level, note = messages.SUCCESS, f"Delivery to {row.recipient_label} will be retried now."
    else:
        level, note = messages.ERROR, "That delivery is no longer failed; nothing changed."
    if row.release and request.htmx.target == "delivery-log":
        # Retried from the release's delivery log: answer with the log, the note in it.
        context = {
            "deliveries": deliveries_for_release(row.release),
            "note": note,
            "note_tag": messages.DEFAULT_TAGS[level],
        }
        return render(request, "notify/_delivery_log.html", context)
    messages.add_message(request, level, note)
    if row.release and request.POST.get("next") == "release":
        # The page's stage that shows the log (pages/stages.py).
        return redirect(
            reverse("pages:release", args=[row.release.code]) + "?section=delivery-log#delivery-log"
        )
    return redirect("schedule:overview")


@require_POST
@login_required
def delivery_retry_all_view(request: AuthedRequest) -> HttpResponse:
    _require_sre_or_staff(request)
    count = outbox_retry(Outbox.objects.filter(status=DeliveryStatus.FAILED), actor=request.user)
    messages.success(request, f"{count} failed deliveries will be retried now.")
    return redirect("schedule:overview")
