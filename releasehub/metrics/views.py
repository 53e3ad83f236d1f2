"""The metrics page, its JSON and CSV exports, and the history upload. Read-only but the upload."""

import datetime as dt
import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Role, User
from releasehub.core.csv import write_csv
from releasehub.core.http import AuthedRequest
from releasehub.metrics import cards, charts, selectors
from releasehub.metrics.forms import PeriodForm
from releasehub.metrics.history_file import read_history
from releasehub.metrics.importer import HistoryError, import_history
from releasehub.metrics.selectors import IST, Period
from releasehub.metrics.upload import SizeLimit

VIEWERS = (Role.LEADERSHIP, Role.RELEASE_MANAGER, Role.SRE)


def _views_metrics(user: User) -> bool:
    return user.is_staff or user.has_any_role(*VIEWERS)


def _imports_history(user: User) -> bool:
    return user.is_staff or user.has_role(Role.RELEASE_MANAGER)


def _check(request: AuthedRequest) -> None:
    if not _views_metrics(request.user):
        raise PermissionDenied("The metrics are for Leadership, Release Managers and SRE.")


def _today() -> dt.date:
    return timezone.now().astimezone(IST).date()


def _form(request: AuthedRequest) -> PeriodForm:
    return PeriodForm(request.GET, today=_today())


@login_required
@require_GET
def page(request: AuthedRequest) -> HttpResponse:
    _check(request)
    form = _form(request)
    context = {"form": form, "may_import": _imports_history(request.user)}
    if not form.is_valid():
        # 200, not 400: the page is the form with its errors beside the fields, and a 4xx
        # document is logged as an error by browsers.
        return render(request, "metrics/page.html", context)
    period, target = form.period, form.target_slug
    history = selectors.load_history(period, target)
    current = selectors.figures(history, period)
    previous = selectors.figures(history, period.previous())
    trend = [selectors.figures(history, bucket) for bucket in selectors.buckets(period)]
    per_month = selectors.per_month(period)
    context |= {
        "period": period,
        "target": target,
        "current": current,
        "previous": previous,
        "headline": cards.headline(current, previous, trend, days=period.days),
        "dora_source": selectors.DORA_SOURCE,
        "open_incidents": selectors.open_incidents(history, timezone.now()),
        "trend": trend,
        "per_month": per_month,
        "charts": charts.trend_charts(trend, monthly=per_month),
        "query": request.GET.urlencode(),
        "json_query": f"start={period.start}&end={period.end}"
        + (f"&target={target}" if target else ""),
    }
    return render(request, "metrics/page.html", context)


@login_required
@require_GET
def as_json(request: AuthedRequest) -> JsonResponse:
    _check(request)
    form = _form(request)
    if not form.is_valid():
        errors = {name: list(texts) for name, texts in form.errors.items()}
        return JsonResponse({"error": form.error_text(), "errors": errors}, status=400)
    return JsonResponse(selectors.metrics(form.period, form.target_slug))


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_csv(response, header, rows)
    return response


def _ist(moment: dt.datetime | None) -> str:
    return moment.astimezone(IST).isoformat() if moment else ""


def _csv_export(
    view: Callable[[AuthedRequest, Period, str | None], HttpResponse],
) -> Callable[[AuthedRequest], HttpResponse]:
    """Checks the reader and reads the period the one way the page does; a bad period is a 400."""

    @functools.wraps(view)
    def export(request: AuthedRequest) -> HttpResponse:
        _check(request)
        form = _form(request)
        if not form.is_valid():
            return HttpResponse(
                form.error_text(), status=400, content_type="text/plain; charset=utf-8"
            )
        return view(request, form.period, form.target_slug)

    return login_required(require_GET(export))


@_csv_export
def deployments_csv(request: AuthedRequest, period: Period, target: str | None) -> HttpResponse:
    history = selectors.load_history(period, target)
    rows = [
        [
            d.version,
            d.release_kind,
            d.target,
            d.kind,
            _ist(d.started_at),
            _ist(d.finished_at),
            "yes" if d.failed else "no",
            _ist(d.recovered_at),
            d.manual_interventions,
        ]
        for d in history.deployments
        if period.holds(d.finished_at)
    ]
    header = [
        "release",
        "release_kind",
        "target",
        "kind",
        "started_at",
        "finished_at",
        "failed",
        "recovered_at",
        "manual_interventions",
    ]
    return _csv(f"deployments-{period.start}-{period.end}.csv", header, rows)


@_csv_export
def incidents_csv(request: AuthedRequest, period: Period, target: str | None) -> HttpResponse:
    history = selectors.load_history(period, target)
    rows = [
        [
            i["key"],
            i["severity"].upper().replace("SEV", "SEV-"),
            i["title"],
            i["release__version"] or "",
            i["service__slug"] or i["app__slug"] or "",
            _ist(i["detected_at"]),
            _ist(i["resolution__resolved_at"]),
        ]
        for i in history.incidents
        if period.holds(i["detected_at"])
        or period.holds(i["resolution__resolved_at"])
        or i["resolution__resolved_at"] is None
    ]
    header = [
        "key",
        "severity",
        "title",
        "caused_by_release",
        "caused_by_target",
        "detected_at",
        "resolved_at",
    ]
    return _csv(f"incidents-{period.start}-{period.end}.csv", header, rows)


@csrf_exempt  # only so that the size limit is in place before the CSRF check reads the body
@login_required
@require_POST
def import_upload(request: AuthedRequest) -> HttpResponse:
    if not _imports_history(request.user):
        raise PermissionDenied("Only Release Managers and staff import history.")
    limit = SizeLimit(request, settings.HISTORY_IMPORT_MAX_BYTES)
    request.upload_handlers.insert(0, limit)
    return _import_checked(request, limit)


@csrf_protect
def _import_checked(request: AuthedRequest, limit: SizeLimit) -> HttpResponse:
    upload = request.FILES.get("file")
    if limit.exceeded or (upload is not None and (upload.size or 0) > limit.limit):
        messages.error(
            request,
            f"Nothing imported: the file is larger than the import limit of "
            f"{filesizeformat(limit.limit)}.",
        )
    elif upload is None:
        messages.error(request, "Choose a JSON file to import.")
    else:
        _import(request, upload.read())
    return redirect("metrics:page")


# A file with hundreds of conflicts shows the first ones; the rest are like them.
SHOWN_PROBLEMS = 20


def _import(request: AuthedRequest, raw: bytes) -> None:
    try:
        counts = import_history(read_history(raw), actor=request.user)
    except HistoryError as exc:
        messages.error(request, exc.summary)
        for path, reason in exc.problems[:SHOWN_PROBLEMS]:
            messages.error(request, f"{path}: {reason}")
        if len(exc.problems) > SHOWN_PROBLEMS:
            messages.error(request, f"… and {len(exc.problems) - SHOWN_PROBLEMS} more.")
    else:
        messages.success(request, "Imported: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
