"""Lookups every release-day endpoint makes before it calls a service: who acts, the release
after the board's role predicate, a component by slug within the token's limits."""

from django.http import Http404, HttpRequest
from ninja.errors import HttpError

from releasehub.api.access import check_component
from releasehub.api.checks import actor, release_for
from releasehub.catalog.models import FrontendApp, Service

__all__ = ["actor", "app_for", "component_for", "release_for", "service_for"]


def _by_slug[C: (Service, FrontendApp)](request: HttpRequest, model: type[C], slug: str) -> C:
    found = model.objects.filter(slug=slug).first()
    if found is None:
        raise Http404(f"No {model._meta.verbose_name} {slug}.")
    check_component(request, found)
    return found


def service_for(request: HttpRequest, slug: str) -> Service:
    return _by_slug(request, Service, slug)


def app_for(request: HttpRequest, slug: str) -> FrontendApp:
    return _by_slug(request, FrontendApp, slug)


def component_for(
    request: HttpRequest, service: str | None, app: str | None
) -> Service | FrontendApp | None:
    """The optional service or app (by slug) a watch record names: one at most."""
    if service and app:
        raise HttpError(422, "Name a service or an app, not both.")
    if service:
        return service_for(request, service)
    return app_for(request, app) if app else None
