"""The request a logged-in view receives, as type checkers should see it."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from releasehub.accounts.models import User


class AuthedRequest(HttpRequest):
    """After `@login_required` and django-htmx's middleware: never an AnonymousUser."""

    user: "User"
    htmx: "HtmxDetails"
