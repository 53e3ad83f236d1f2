"""Sign-in limits on django-axes (settings.py: SIGNIN_*): whose address a request comes from,
when an account or a whole address is locked, and the page a locked sign-in gets.

Axes counts failures per (account, address) in the database. The address as a whole has its
own, higher threshold, counted here with each account's share capped at the per-account limit:
one person's typos never lock the office that shares their address, guessing across many
accounts from one address does.
"""

import datetime as dt
import ipaddress
import math
from typing import cast

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import models
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from releasehub.accounts.hooks import Event, announce
from releasehub.accounts.models import User


def client_ip(request: HttpRequest) -> str | None:
    """The connection's address; behind TRUSTED_PROXY_COUNT proxies, the one the outermost saw.

    Each proxy appends the address it was connected from to X-Forwarded-For, so the client is
    that many entries from the right; entries further left are whatever the client sent.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if not hops or len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote


def client_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name tried, cut to what the user table holds: a longer one cannot be an account, and
    axes' column (255) would refuse it with a database error. Django's sign-in form does not
    enforce the length before it authenticates."""
    tried = (credentials or request.POST).get(User.USERNAME_FIELD)
    field = cast(models.CharField, User._meta.get_field(User.USERNAME_FIELD))
    return tried[: field.max_length] if isinstance(tried, str) else tried


class SignInHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the lock of a whole address and an audit line per lock."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """This account's recent failures at this address, or the limit if the address is locked
        (axes locks when this reaches AXES_FAILURE_LIMIT)."""
        failures = super().get_failures(request, credentials)
        if self.address_locked(request, credentials):
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def address_locked(self, request, credentials: dict | None = None) -> bool:
        cap = get_failure_limit(request, credentials)
        per_account = (
            _recent_at_address(request)
            .values("username")
            .annotate(failures=Sum("failures_since_start"))
            .values_list("failures", flat=True)
        )
        return sum(min(n, cap) for n in per_account) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        was_locked = request is not None and self.is_locked(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)
        # Tries during a lock are failures too (they extend it) but not a new lock.
        if request is not None and request.axes_locked_out and not was_locked:
            self._announce_lock(request, credentials)

    def lock_ends(self, request, credentials: dict | None = None) -> dt.datetime:
        """When the lock lifts if nobody tries again: the cool-off after the last failure that
        counts (an upper bound when several attempt rows add up to the lock)."""
        pair = self.get_user_attempts(request, credentials)
        recent = [qs.aggregate(last=Max("attempt_time"))["last"] for qs in pair]
        if self.address_locked(request, credentials):
            recent.append(_recent_at_address(request).aggregate(last=Max("attempt_time"))["last"])
        last = max((t for t in recent if t), default=request.axes_attempt_time)
        return last + get_cool_off(request)

    def _announce_lock(self, request, credentials: dict | None) -> None:
        username = get_client_username(request, credentials)
        pair_failures = super().get_failures(request, credentials)
        whole_address = pair_failures < get_failure_limit(request, credentials)
        target = (
            User.objects.filter(username=username).first()
            or AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address)
            .order_by("-attempt_time")
            .first()
        )
        announce(
            Event.LOCKED_OUT,
            username=username,
            ip_address=request.axes_ip_address,
            whole_address=whole_address,
            failures=pair_failures,
            until=self.lock_ends(request, credentials),
            target=target,
        )


def _recent_at_address(request) -> QuerySet[AccessAttempt]:
    threshold = get_cool_off_threshold(request)
    return AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=threshold
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page again, with the wait, as 429 Too Many Requests."""
    wait = SignInHandler().lock_ends(request, credentials) - timezone.now()
    form = AuthenticationForm(
        request, initial={"username": get_client_username(request, credentials)}
    )
    context = {
        "form": form,
        "locked_minutes": max(1, math.ceil(wait.total_seconds() / 60)),
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
