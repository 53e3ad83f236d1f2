"""Bearer tokens for /api/v1/ and the per-token rate limit."""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from releasehub.accounts.signin import client_ip
from releasehub.api.models import ApiToken
from releasehub.api.tokens import token_for_secret


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_for_secret(token, address=client_ip(request))
        if found is not None:
            # The services and the access predicates read request.user, as in the browser.
            request.user = found.user
        return found


class TokenRateThrottle(BaseThrottle):
    """API_RATE_LIMIT requests per token per fixed window, counted with the cache's atomic
    increment (Redis when CACHE_URL or REDIS_URL is set, so all workers share the count;
    otherwise each process counts its own). One instance serves every thread, so nothing
    about a request is kept on it: the wait is the rest of the current window."""

    _PERIODS = {
        "s": 1,
        "sec": 1,
        "m": 60,
        "min": 60,
        "h": 3600,
        "hour": 3600,
        "d": 86400,
        "day": 86400,
    }

    def limit(self) -> tuple[int, int]:
        count, period = settings.API_RATE_LIMIT.split("/")
        unit = period.lstrip("0123456789")
        return int(count), int(period[: -len(unit)] or 1) * self._PERIODS[unit]

    def allow_request(self, request: HttpRequest) -> bool:
        token = getattr(request, "auth", None)
        if not isinstance(token, ApiToken):
            return True
        count, seconds = self.limit()
        now = time.time()
        window = int(now // seconds)
        key = f"api-rate:{token.pk}:{seconds}:{window}"
        cache.add(key, 0, timeout=seconds + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            cache.add(key, used := 1, timeout=seconds + 1)
        return used <= count

    def wait(self) -> float:
        _, seconds = self.limit()
        return max(1, math.ceil(seconds - time.time() % seconds))
