"""Release pages: list, calendar and new releases, and the RM's release-level actions.

The release ticket page and the dashboard combine apps and live in `releasehub/pages/`; the
ticket page's own sections are built in sections.py, its scope actions are in scope_views.py.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from releasehub.accounts.rota import next_release_manager
from releasehub.releases import forms, selectors, services
from releasehub.releases.access import capabilities, get_release_for, is_rm, requests_hotfix
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release, Train
from releasehub.releases.sections import allowed_next, render_section, section_done
from releasehub.releases.services import ServiceError

LIST_FILTERS = {
    "upcoming": "Upcoming",
    "past": "Past",
    "hotfixes": "Hotfixes",
    "all": "All",
}


@require_GET
@login_required
def release_list(request: HttpRequest) -> HttpResponse:
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
    page = Paginator(releases, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
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
def release_calendar(request: HttpRequest) -> HttpResponse:
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


def _train_from(request: HttpRequest) -> Train | None:
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
def release_create(request: HttpRequest) -> HttpResponse:
    if not is_rm(request.user):
        raise PermissionDenied("Only a Release Manager plans releases.")
    train = _train_from(request)
    if request.method == "POST":
        form = forms.ReleaseCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            train_date = data["train_date"] if train else None
            if train_date and not _is_occurrence(train, train_date):
                form.add_error(None, "That date is not an occurrence of the train.")
            else:
                try:
                    release = services.release_create(
                        version=data["version"],
                        window_start=data["window_start"],
                        window_end=data["window_end"],
                        release_manager=data["release_manager"],
                        summary=data["summary"],
                        train=train if train_date else None,
                        train_date=train_date,
                        actor=request.user,
                    )
                except ServiceError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"Release {release.version} planned.")
                    return redirect("pages:release", code=release.code)
        status = 400
    else:
        form = forms.ReleaseCreateForm(initial=_create_initial(train))
        status = 200
    context = {"form": form, "train": train}
    return render(request, "releases/release_form.html", context, status=status)


def _is_occurrence(train: Train, day: dt.date) -> bool:
    return (day - train.anchor_date).days % train.interval_days == 0


def _create_initial(train: Train | None) -> dict:
    last = Release.objects.exclude(release_manager=None).order_by("-created_at", "-id").first()
    initial = {"release_manager": next_release_manager(last.release_manager if last else None)}
    day = next(iter(services.train_next_occurrences(train)), None) if train else None
    if day is None:
        today = timezone.now().astimezone(IST).date()
        day = today + dt.timedelta(days=(2 - today.weekday()) % 7 or 7)
    start, end = default_window(day)
    initial.update(
        version=services.suggest_version(day),
        window_start=start,
        window_end=end,
        train_date=day if train else None,
        summary=f"{train.name}: {day:%d %b %Y}" if train else "",
    )
    return initial


@require_POST
@login_required
def train_fill(request: HttpRequest) -> HttpResponse:
    if not is_rm(request.user):
        raise PermissionDenied("Only a Release Manager plans releases.")
    train = _train_from(request)
    created = services.train_fill(train, actor=request.user) if train else []
    if created:
        messages.success(request, "Planned " + ", ".join(r.version for r in created) + ".")
    else:
        messages.info(request, "The next four train releases are already planned.")
    return redirect("releases:list")


def _release_action(request: HttpRequest, code, form_class, act, section="release-header"):
    """Shared shape of the RM's release-level actions: check, validate, act, respond."""
    release = get_release_for(request, code, may=is_rm)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = act(release, form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return section_done(request, release, section, message)
    name = {
        forms.MoveForm: "move_form",
        forms.ReasonForm: "reason_form",
        forms.HandoverForm: "handover_form",
    }[form_class]
    return render_section(request, release, section, {name: form})


@require_POST
@login_required
def release_move(request: HttpRequest, code) -> HttpResponse:
    def act(release, data):
        services.release_move(
            release,
            window_start=data["window_start"],
            window_end=data["window_end"],
            actor=request.user,
            reason=data["reason"],
        )
        return f"{release.version} moved; its whole clock moved with it."

    return _release_action(request, code, forms.MoveForm, act)


@require_POST
@login_required
def release_skip(request: HttpRequest, code) -> HttpResponse:
    def act(release, data):
        services.release_cancel(release, actor=request.user, reason=data["reason"], skip=True)
        return f"{release.version} skipped."

    return _release_action(request, code, forms.ReasonForm, act)


@require_POST
@login_required
def release_cancel(request: HttpRequest, code) -> HttpResponse:
    def act(release, data):
        services.release_cancel(release, actor=request.user, reason=data["reason"])
        return f"{release.version} cancelled."

    return _release_action(request, code, forms.ReasonForm, act)


@require_POST
@login_required
def release_handover(request: HttpRequest, code) -> HttpResponse:
    def act(release, data):
        services.release_handover(release, to=data["to"], actor=request.user, reason=data["reason"])
        return f"{data['to']} is now the Release Manager."

    return _release_action(request, code, forms.HandoverForm, act)


@require_POST
@login_required
def release_status(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=is_rm)
    form = forms.StatusForm(request.POST, allowed=allowed_next(release))
    if form.is_valid():
        try:
            services.release_transition(
                release,
                form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return section_done(
                request,
                release,
                "release-header",
                f"{release.version}: {release.get_status_display()}.",
            )
    return render_section(request, release, "release-header", {"status_form": form})


# Hotfixes ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def hotfix_create(request: HttpRequest) -> HttpResponse:
    if not requests_hotfix(request.user):
        raise PermissionDenied("Hotfixes are requested by the RM, squad reps or SRE.")
    if request.method == "POST":
        form = forms.HotfixForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                hotfix = services.hotfix_create(actor=request.user, **data)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Hotfix {hotfix.release.version} requested.")
                return redirect("pages:release", code=hotfix.release.code)
        status = 400
    else:
        now = timezone.now()
        start, end = forms.hotfix_default_window(now)
        form = forms.HotfixForm(
            initial={
                "version": services.suggest_version(
                    now.astimezone(IST).date(), Release.Kind.HOTFIX
                ),
                "production_tag": services.last_production_tag(),
                "window_start": start,
                "window_end": end,
                "tests_result": "passed",
            }
        )
        status = 200
    return render(request, "releases/hotfix_form.html", {"form": form}, status=status)
