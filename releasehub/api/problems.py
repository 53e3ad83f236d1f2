"""Every refusal the API gives is an RFC 9457 problem: application/problem+json with type,
title, status, detail, and for a runbook rule the rule's name. The detail is the same sentence
the board shows, which says what would unblock the step."""

import math
import re
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from releasehub.core.errors import ServiceError

PROBLEM_TYPE = "https://releasehub.invalid/problems/"  # a name, not a page (RFC 9457 §3.1.1)


def problem(
    request: HttpRequest, status: int, title: str, detail: str = "", **extra
) -> HttpResponse:
    slug = extra.pop("slug", "") or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    body = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": request.path,
        **extra,
    }
    return JsonResponse(body, status=status, content_type="application/problem+json")


def rule_name(exc: ServiceError) -> str:
    """RolloutError -> rollout, ScopeFrozen -> scope-frozen: the family of rules refusing."""
    name = type(exc).__name__.removesuffix("Error") or "runbook"
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _refused(request, exc: ServiceError) -> HttpResponse:
    title = "Refused by a runbook rule"
    return problem(request, 409, title, str(exc), slug="runbook-rule", rule=rule_name(exc))


def _forbidden(request, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "Your token or role does not allow this."
    return problem(request, 403, "Not allowed", detail)


def _not_found(request, exc: Http404) -> HttpResponse:
    return problem(request, 404, "Not found", str(exc) or "No such resource.")


def _invalid(request, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": ".".join(str(p) for p in error.get("loc", ())[1:]), "message": error.get("msg")}
        for error in exc.errors
    ]
    return problem(request, 422, "Invalid request", "The request does not validate.", errors=errors)


def _unauthenticated(request, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request,
        401,
        "Not authenticated",
        "Send a live token: Authorization: Bearer <token>. It may be unknown, revoked or expired.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="releasehub"'
    return response


def _throttled(request, exc: Throttled) -> HttpResponse:
    wait = max(1, math.ceil(exc.wait or 1))
    response = problem(
        request, 429, "Too many requests", f"This token's rate limit is reached; retry in {wait} s."
    )
    response["Retry-After"] = str(wait)
    return response


def _http_error(request, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, exc.message)


HANDLERS: dict[type[Exception], Callable[..., HttpResponse]] = {
    ServiceError: _refused,
    PermissionDenied: _forbidden,
    Http404: _not_found,
    ValidationError: _invalid,
    AuthenticationError: _unauthenticated,
    Throttled: _throttled,
    HttpError: _http_error,
}


def install(api: NinjaAPI) -> None:
    # Ninja picks the handler along the exception's MRO, so the order here does not matter.
    for exc_class, handler in HANDLERS.items():
        api.add_exception_handler(exc_class, handler)
