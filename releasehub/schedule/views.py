from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Role
from releasehub.core.http import AuthedRequest
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.notify.services import outbox_retry
from releasehub.schedule.models import ScheduledAction
from releasehub.schedule.selectors import overdue_count, overview
from releasehub.schedule.services import action_retry


def _require_sre_or_staff(request: AuthedRequest) -> None:
    if not (request.user.is_staff or request.user.has_role(Role.SRE)):
        raise PermissionDenied("Timed actions are for SRE and staff.")


@require_GET
@login_required
def action_overview(request: AuthedRequest) -> HttpResponse:
    _require_sre_or_staff(request)
    now = timezone.now()
    failed_deliveries = Outbox.objects.filter(status=DeliveryStatus.FAILED).select_related(
        "release"
    )[:200]
    context = {
        **overview(now),
        "now": now,
        "overdue_total": overdue_count(now),
        "failed_deliveries": failed_deliveries,
    }
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
    _require_sre_or_staff(request)
    row = get_object_or_404(Outbox, code=code)
    if outbox_retry([row], actor=request.user):
        messages.success(request, f"Delivery to {row.recipient_label} will be retried now.")
    else:
        messages.error(request, "That delivery is no longer failed; nothing changed.")
    return redirect("schedule:overview")


@require_POST
@login_required
def delivery_retry_all_view(request: AuthedRequest) -> HttpResponse:
    _require_sre_or_staff(request)
    count = outbox_retry(Outbox.objects.filter(status=DeliveryStatus.FAILED), actor=request.user)
    messages.success(request, f"{count} failed deliveries will be retried now.")
    return redirect("schedule:overview")
