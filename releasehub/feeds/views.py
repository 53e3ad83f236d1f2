"""The feeds a calendar app fetches (no session: the secret in the URL is the credential), and
the page where a signed-in person makes, replaces or revokes their link."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import User
from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.feeds import selectors, services
from releasehub.feeds.ics import Entry, calendar_bytes
from releasehub.feeds.models import FeedToken

# The new secret waits here between the POST that made it and the one GET that shows it.
NEW_SECRET_KEY = "feeds.new_secret"


def keeps_feed_links(user: User) -> bool:
    """Every signed-in person may subscribe to the dates they may read; machines may not."""
    return not user.is_machine


def feed_urls(secret: str) -> dict[str, str]:
    urls = {
        "train": settings.SITE_URL + reverse("feeds:train", kwargs={"secret": secret}),
        "mine": settings.SITE_URL + reverse("feeds:mine", kwargs={"secret": secret}),
    }
    # Apple Calendar subscribes when it opens a webcal:// link.
    webcal = {f"{k}_webcal": "webcal://" + v.split("://", 1)[1] for k, v in urls.items()}
    return {**urls, **webcal}


@require_GET
@login_required
def manage(request: AuthedRequest) -> HttpResponse:
    secret = request.session.pop(NEW_SECRET_KEY, None)
    context = {
        "token": FeedToken.objects.filter(user=request.user, revoked_at__isnull=True).first(),
        "urls": feed_urls(secret) if secret else None,
    }
    return render(request, "feeds/manage.html", context)


@require_POST
@login_required
def create(request: AuthedRequest) -> HttpResponse:
    if not keeps_feed_links(user := request.user):
        raise PermissionDenied("Machine users have no calendar feeds.")
    outcome = attempt(forms.Form(request.POST), lambda _: services.feed_token_create(user=user))
    if outcome.ok:
        request.session[NEW_SECRET_KEY] = outcome.value
    else:
        messages.error(request, outcome.error)
    return redirect("feeds:manage")


@require_POST
@login_required
def revoke(request: AuthedRequest) -> HttpResponse:
    if not keeps_feed_links(user := request.user):
        raise PermissionDenied("Machine users have no calendar feeds.")
    outcome = attempt(forms.Form(request.POST), lambda _: services.feed_token_revoke(user=user))
    if outcome.ok:
        messages.success(
            request, "Your calendar feed link is revoked; calendars using it stop updating."
        )
    else:
        messages.error(request, outcome.error)
    return redirect("feeds:manage")


def _ics(name: str, entries: list[Entry], filename: str) -> HttpResponse:
    body = calendar_bytes(name, entries, stamp=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # The URL is a credential: no shared cache may keep the feed, no search engine index it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


def _token(secret: str) -> FeedToken:
    token = services.feed_token_resolve(secret)
    if token is None:  # unknown, revoked, or its person deactivated: all look the same
        raise Http404("No such calendar feed")
    return token


@require_GET
def train(request: HttpRequest, secret: str) -> HttpResponse:
    _token(secret)
    entries = selectors.train_entries(timezone.now())
    return _ics("ReleaseHub release train", entries, "releasehub-train.ics")


@require_GET
def mine(request: HttpRequest, secret: str) -> HttpResponse:
    user = _token(secret).user
    entries = selectors.personal_entries(user, timezone.now())
    return _ics(f"ReleaseHub: {user}", entries, "releasehub-mine.ics")
