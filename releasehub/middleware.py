import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("releasehub.refusals")
# Marks an htmx refusal, so static/js/app.js shows it in the section acted on and leaves any
# other 403 (a CSRF failure, say) alone.
REFUSED_HEADER = "ReleaseHub-Refused"


class AlwaysNonceMiddleware:
    """Evaluate the CSP nonce on every request.

    Django only puts the nonce into the header when something read it; JSON and redirect
    responses never do. Reading it here keeps the policy identical on every response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        str(request._csp_nonce)  # type: ignore[attr-defined]  # set by Django's CSP middleware
        return self.get_response(request)


def _clean(value: object) -> str:
    # A path or a name could carry a line break that forges a log line.
    return str(value).encode("unicode_escape").decode("ascii")


class RefusalMiddleware:
    """Answer every PermissionDenied once: a 403 that says why, and one log line.

    htmx gets only the message, for the section it acted on; a plain request gets the page.
    Django would log the refusal with a traceback, as if it were a fault; it is not one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PermissionDenied):
            return None
        reason = str(exception) or "Your role does not allow this."
        user = request.user.get_username() if request.user.is_authenticated else "anonymous"
        logger.warning(
            "Refused %s %s for %s: %s",
            request.method,
            _clean(request.path),
            _clean(user),
            _clean(reason),
        )
        htmx = bool(getattr(request, "htmx", False))
        template = "403.html#refusal" if htmx else "403.html"
        response = render(request, template, {"reason": reason}, status=403)
        if htmx:
            response[REFUSED_HEADER] = "true"
        # Logged above, with who and why; Django's handler would log it a second time.
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag
        return response
