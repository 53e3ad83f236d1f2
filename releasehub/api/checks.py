"""What the scope and readiness endpoints do before a service, as their browser views do: the
release with the view's role predicate, and the input checked by the page's own form, so the API
refuses exactly what the page refuses (a ticket key that is not PAT-123, a note too long)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.errors import ValidationError

from releasehub.accounts.models import User
from releasehub.api.access import token
from releasehub.api.routers.releases import release_by_ref
from releasehub.releases.models import Release


def actor(request: HttpRequest) -> User:
    """Who acts: the token's person, or the integration's machine user (never typed in)."""
    return token(request).user


def release_for(
    request: HttpRequest,
    ref: str,
    may: Callable[[User], bool] | None = None,
    refusal: str = "Your role does not allow this.",
) -> Release:
    """The release named by code or version (404), refused with 403 when `may` says no."""
    release = release_by_ref(ref)
    if may is not None and not may(actor(request)):
        raise PermissionDenied(refusal)
    return release


def cleaned(form: forms.Form, body: str = "body") -> dict[str, Any]:
    """The form's cleaned data, or a 422 problem listing each field's first error."""
    if form.is_valid():
        return form.cleaned_data
    raise ValidationError(
        [
            {"loc": ("body", body, name), "msg": str(errors[0])}
            for name, errors in form.errors.items()
        ]
    )
