"""What every endpoint checks before it calls a service: the token's scope, and who acts.

The roles are checked by the same predicates and services as the browser: a personal token's
user is the person, an integration's is its machine user (api/scopes.py). The scope narrows
what a token may do; it never widens what its user may do.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest
from ninja.errors import HttpError

from releasehub.api.models import ApiToken
from releasehub.api.scopes import Scope
from releasehub.audit.timeline import acting_via
from releasehub.catalog.models import FrontendApp, Service

RUN_URL_HEADER = "ReleaseHub-Run-URL"
_url = URLValidator(schemes=["http", "https"])


def token(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined]


def need(request: HttpRequest, scope: Scope) -> ApiToken:
    found = token(request)
    if not found.has_scope(scope):
        raise PermissionDenied(f"This token does not have the {scope.value} scope.")
    return found


def run_url(request: HttpRequest) -> str:
    """The pipeline run that sent this write, named on the timeline (optional header)."""
    url = request.headers.get(RUN_URL_HEADER, "").strip()
    if url:
        try:
            _url(url)
        except ValidationError:
            raise HttpError(422, f"{RUN_URL_HEADER} must be an http(s) URL.") from None
        if len(url) > 500:
            raise HttpError(422, f"{RUN_URL_HEADER} is longer than 500 characters.")
    return url


@contextmanager
def writing(request: HttpRequest, scope: Scope, *, person_only: bool = False) -> Iterator[ApiToken]:
    """Check the scope, then run the service so that every timeline event names the token and
    the pipeline run. `person_only`: a judgement (a sign-off) no integration may make."""
    found = need(request, scope)
    if person_only and found.is_integration:
        raise PermissionDenied("Only a person's own token may do this, never an integration.")
    with acting_via(found.label, run_url(request)):
        yield found


def check_component(request: HttpRequest, component: Service | FrontendApp) -> None:
    """An integration limited to some services or apps acts on those only."""
    found = token(request)
    if not found.is_integration:
        return
    limit = found.services if isinstance(component, Service) else found.apps
    allowed = list(limit.all())
    if allowed and component not in allowed:
        raise PermissionDenied(f"This token is not allowed to act on {component}.")
