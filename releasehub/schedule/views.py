from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.notify.selectors import deliveries_for_release
from releasehub.notify.services import outbox_retry
from releasehub.schedule.access import may_operate
from releasehub.schedule.models import ScheduledAction
from releasehub.schedule.selectors import PAGE_ROWS, overview
from releasehub.schedule.services import action_retry


def _require_sre_or_staff(request: AuthedRequest) -> None:
    if not may_operate(request.user):
        raise PermissionDenied("Timed actions are for SRE and staff.")


@require_GET
@login_required
def action_overview(request: AuthedRequest) -> HttpResponse:
    _require_sre_or_staff(request)
    lists = {
        **overview(timezone.now()),
        "deliveries": Outbox.objects.filter(status=DeliveryStatus.FAILED)
        .select_related("release")
        .order_by("created_at", "id"),
    }
    # One page parameter per list (?overdue=2&failed=3), so paging one keeps the others; the
    # poll asks for the same URL, so it keeps them too.
    context = {
        name: paginate(request, rows, PAGE_ROWS, param=name, label=f"{name.title()} pages")
        for name, rows in lists.items()
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
        return redirect(reverse("pages:release", args=[row.release.code]) + "#delivery-log")
    return redirect("schedule:overview")


@require_POST
@login_required
def delivery_retry_all_view(request: AuthedRequest) -> HttpResponse:
    _require_sre_or_staff(request)
    count = outbox_retry(Outbox.objects.filter(status=DeliveryStatus.FAILED), actor=request.user)
    messages.success(request, f"{count} failed deliveries will be retried now.")
    return redirect("schedule:overview")
