"""The feature flag inventory: read by anyone logged in; toggles recorded by the RM or SRE."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Role, User
from releasehub.core.http import AuthedRequest
from releasehub.flags import selectors, services
from releasehub.flags.forms import FlagToggleForm
from releasehub.flags.models import FeatureFlag, FlagStatus
from releasehub.releases.access import release_for
from releasehub.releases.models import Release


def toggles_flags(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE)


def _get_flag_for(request: AuthedRequest, key: str, toggle: bool = False) -> FeatureFlag:
    flag = FeatureFlag.objects.select_related("squad").filter(key=key).first()
    if flag is None:
        raise Http404("No such feature flag")
    if toggle and not toggles_flags(request.user):
        raise PermissionDenied("Only the Release Manager or SRE record flag toggles.")
    return flag


@require_GET
@login_required
def flag_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status")
    status = status if status in FlagStatus.values else None
    context = {"rows": selectors.flag_inventory(status), "status": status}
    return render(request, "flags/list.html", context)


def _flag_page(request, flag, form, status=200) -> HttpResponse:
    context = {
        **selectors.flag_detail(flag),
        "flag": flag,
        "form": form,
        "can_toggle": toggles_flags(request.user),
    }
    return render(request, "flags/detail.html", context, status=status)


@require_GET
@login_required
def flag_detail(request: AuthedRequest, key: str) -> HttpResponse:
    return _flag_page(request, _get_flag_for(request, key), FlagToggleForm())


@require_POST
@login_required
def flag_toggle(request: AuthedRequest, key: str) -> HttpResponse:
    flag = _get_flag_for(request, key, toggle=True)
    form = FlagToggleForm(request.POST)
    release = None
    if form.is_valid() and (version := form.cleaned_data["release"].strip()):
        release = Release.objects.filter(version=version).first()
        if release is None:
            form.add_error("release", f"No release {version}.")
    if form.is_valid() and form.cleaned_data["as_rollback"] and release is None:
        form.add_error("release", "Name the release this rollback step belongs to.")
    if not form.is_valid():
        return _flag_page(request, flag, form, status=400)
    data = form.cleaned_data
    services.flag_toggle(
        flag=flag,
        actor=request.user,
        environment=data["environment"],
        state=data["state"],
        reason=data["reason"],
        release=release,
        as_rollback=data["as_rollback"],
    )
    messages.success(request, f"Toggle of {flag.key} recorded.")
    return redirect("flags:detail", key=flag.key)


@require_GET
@login_required
def flags_for_release(request: AuthedRequest, code) -> HttpResponse:
    release = release_for(request, code)
    context = {
        "release": release,
        "rows": selectors.flags_for_release(release),
        "toggles": selectors.toggles_for_release(release),
    }
    return render(request, "flags/for_release.html", context)
