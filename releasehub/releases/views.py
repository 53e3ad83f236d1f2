"""Release pages: list, calendar and new releases, and the RM's release-level actions.

The release ticket page and the dashboard combine apps and live in `releasehub/pages/`; the
ticket page's own sections are built in sections.py, its scope actions are in scope_views.py.
"""

import datetime as dt
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from releasehub.accounts.rota import next_release_manager
from releasehub.core.errors import ServiceError
from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.releases import forms, selectors
from releasehub.releases.access import capabilities, is_rm, release_for, requests_hotfix
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release, Train
from releasehub.releases.sections import allowed_next, answer
from releasehub.releases.services import hotfix as hotfixes
from releasehub.releases.services import lifecycle

LIST_FILTERS = {
    "upcoming": "Upcoming",
    "past": "Past",
    "hotfixes": "Hotfixes",
    "all": "All",
}

RELEASES_PER_PAGE = 25


@require_GET
@login_required
def release_list(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    show = request.GET.get("show", "upcoming")
    if show not in LIST_FILTERS:
        show = "upcoming"
    status = request.GET.get("status", "")
    if status not in Release.Status.values:
        status = ""
    releases = Release.objects.select_related("release_manager").annotate(
        ticket_count=Count("tickets")
    )
    if show == "upcoming":
        releases = releases.filter(window_end__gte=now).order_by("window_start")
    elif show == "past":
        releases = releases.filter(window_end__lt=now).order_by("-window_start")
    elif show == "hotfixes":
        releases = releases.filter(kind=Release.Kind.HOTFIX).order_by("-window_start")
    else:
        releases = releases.order_by("-window_start")
    if status:
        releases = releases.filter(status=status)
    context = {
        "pager": paginate(request, releases, RELEASES_PER_PAGE, label="Release pages"),
        "show": show,
        "status": status,
        "filters": LIST_FILTERS,
        "statuses": Release.Status.choices,
        "trains": Train.objects.filter(active=True),
        "can": capabilities(request.user),
    }
    template = "releases/release_list.html"
    if request.htmx:
        template += "#release-table"
    return render(request, template, context)


@require_GET
@login_required
def release_calendar(request: AuthedRequest) -> HttpResponse:
    today = timezone.now().astimezone(IST).date()
    try:
        month = dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        month = today.replace(day=1)
    if not 2000 <= month.year <= 2100:
        month = today.replace(day=1)
    weeks, events = selectors.month_calendar(month.year, month.month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    context = {
        "month": month,
        "weeks": weeks,
        "events": events,
        "today": today,
        "previous": previous,
        "following": following,
    }
    template = "releases/calendar.html"
    if request.htmx:
        template += "#calendar"
    return render(request, template, context)


# Release-level actions (RM) ----------------------------------------------------------------


def _train_from(request: AuthedRequest) -> Train | None:
    code = request.GET.get("train") or request.POST.get("train")
    trains = Train.objects.filter(active=True)
    if code:
        try:
            return trains.filter(code=code).first()
        except ValidationError:  # a malformed UUID names no train
            return None
    return trains.first()


@require_http_methods(["GET", "POST"])
@login_required
def release_create(request: AuthedRequest) -> HttpResponse:
    if not is_rm(request.user):
        raise PermissionDenied("Only a Release Manager plans releases.")
    train = _train_from(request)
    if request.method != "POST":
        form = forms.ReleaseCreateForm(initial=_create_initial(train))
        return render(request, "releases/release_form.html", {"form": form, "train": train})

    def act(data: dict) -> Release:
        train_date = data["train_date"] if train else None
        if train and train_date and not _is_occurrence(train, train_date):
            raise ServiceError("That date is not an occurrence of the train.")
        return lifecycle.release_create(
            version=data["version"],
            window_start=data["window_start"],
            window_end=data["window_end"],
            release_manager=data["release_manager"],
            summary=data["summary"],
            train=train if train_date else None,
            train_date=train_date,
            actor=request.user,
        )

    outcome = attempt(forms.ReleaseCreateForm(request.POST), act)
    if outcome.ok:
        messages.success(request, f"Release {outcome.value.version} planned.")
        return redirect("pages:release", code=outcome.value.code)
    context = {"form": outcome.form, "train": train}
    return render(request, "releases/release_form.html", context, status=400)


def _is_occurrence(train: Train, day: dt.date) -> bool:
    return (day - train.anchor_date).days % train.interval_days == 0


def _create_initial(train: Train | None) -> dict:
    last = Release.objects.exclude(release_manager=None).order_by("-created_at", "-id").first()
    initial: dict[str, object] = {
        "release_manager": next_release_manager(last.release_manager if last else None)
    }
    day = next(iter(lifecycle.train_next_occurrences(train=train)), None) if train else None
    if day is None:
        today = timezone.now().astimezone(IST).date()
        day = today + dt.timedelta(days=(2 - today.weekday()) % 7 or 7)
    start, end = default_window(day)
    initial.update(
        version=lifecycle.version_suggest(day=day),
        window_start=start,
        window_end=end,
        train_date=day if train else None,
        summary=f"{train.name}: {day:%d %b %Y}" if train else "",
    )
    return initial


@require_POST
@login_required
def train_fill(request: AuthedRequest) -> HttpResponse:
    if not is_rm(request.user):
        raise PermissionDenied("Only a Release Manager plans releases.")
    train = _train_from(request)
    created = lifecycle.train_fill(train=train, actor=request.user) if train else []
    if created:
        messages.success(request, "Planned " + ", ".join(r.version for r in created) + ".")
    else:
        messages.info(request, "The next four train releases are already planned.")
    return redirect("releases:list")


@require_POST
@login_required
def release_move(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)

    def act(data: dict) -> str:
        lifecycle.release_move(
            release=release,
            window_start=data["window_start"],
            window_end=data["window_end"],
            actor=request.user,
            reason=data["reason"],
        )
        return f"{release.version} moved; its whole clock moved with it."

    outcome = attempt(forms.MoveForm(request.POST), act)
    return answer(request, release, "release-header", outcome, "move_form")


def _cancel(request: AuthedRequest, code: UUID, *, skip: bool) -> HttpResponse:
    release = release_for(request, code, may=is_rm)

    def act(data: dict) -> str:
        lifecycle.release_cancel(
            release=release, actor=request.user, reason=data["reason"], skip=skip
        )
        return f"{release.version} {'skipped' if skip else 'cancelled'}."

    outcome = attempt(forms.ReasonForm(request.POST), act)
    return answer(request, release, "release-header", outcome, "reason_form")


@require_POST
@login_required
def release_skip(request: AuthedRequest, code: UUID) -> HttpResponse:
    return _cancel(request, code, skip=True)


@require_POST
@login_required
def release_cancel(request: AuthedRequest, code: UUID) -> HttpResponse:
    return _cancel(request, code, skip=False)


@require_POST
@login_required
def release_handover(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)

    def act(data: dict) -> str:
        lifecycle.release_handover(
            release=release, to=data["to"], actor=request.user, reason=data["reason"]
        )
        return f"{data['to']} is now the Release Manager."

    outcome = attempt(forms.HandoverForm(request.POST), act)
    return answer(request, release, "release-header", outcome, "handover_form")


@require_POST
@login_required
def release_status(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)

    def act(data: dict) -> str:
        lifecycle.release_transition(
            release=release, to=data["status"], actor=request.user, reason=data["reason"]
        )
        return f"{release.version}: {release.get_status_display()}."

    outcome = attempt(forms.StatusForm(request.POST, allowed=allowed_next(release)), act)
    return answer(request, release, "release-header", outcome, "status_form")


# Hotfixes ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def hotfix_create(request: AuthedRequest) -> HttpResponse:
    if not requests_hotfix(request.user):
        raise PermissionDenied("Hotfixes are requested by the RM, squad reps or SRE.")
    if request.method != "POST":
        now = timezone.now()
        start, end = forms.hotfix_default_window(now)
        initial = {
            "version": lifecycle.version_suggest(
                day=now.astimezone(IST).date(), kind=Release.Kind.HOTFIX
            ),
            "production_tag": hotfixes.last_production_tag(),
            "window_start": start,
            "window_end": end,
            "tests_result": "passed",
        }
        form = forms.HotfixForm(initial=initial)
        return render(request, "releases/hotfix_form.html", {"form": form})

    outcome = attempt(
        forms.HotfixForm(request.POST),
        lambda data: hotfixes.hotfix_create(actor=request.user, **data),
    )
    if outcome.ok:
        release = outcome.value.release
        messages.success(request, f"Hotfix {release.version} requested.")
        return redirect("pages:release", code=release.code)
    return render(request, "releases/hotfix_form.html", {"form": outcome.form}, status=400)
