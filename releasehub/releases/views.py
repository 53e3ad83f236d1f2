from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from releasehub.releases.models import Release


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    upcoming = list(
        Release.objects.filter(status__in=Release.OPEN_STATUSES)
        .select_related("release_manager")
        .order_by("window_start")[:2]
    )
    return render(request, "releases/dashboard.html", {"upcoming": upcoming, "now": now})
