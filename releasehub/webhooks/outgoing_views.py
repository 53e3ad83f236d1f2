"""Staff pages of the outgoing webhooks: endpoints, their delivery log, test, re-enable."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.webhooks import outgoing
from releasehub.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from releasehub.webhooks.outgoing import manages_webhooks
from releasehub.webhooks.outgoing_forms import ButtonForm, EndpointForm

DELIVERIES_PER_PAGE = 25


def _require_staff(request: AuthedRequest) -> None:
    if not manages_webhooks(request.user):
        raise PermissionDenied("Only staff manage outgoing webhooks.")


def _endpoint(code) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(code=code).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint")
    return endpoint


@require_GET
@login_required
def endpoint_list(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    context = {"endpoints": WebhookEndpoint.objects.all()}
    return render(request, "webhooks/outgoing/list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def endpoint_create(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if form.is_bound:
        outcome = attempt(form, lambda data: outgoing.endpoint_create(actor=request.user, **data))
        if outcome.ok:
            messages.success(request, f"Endpoint {outcome.value.name} registered.")
            return redirect("webhooks:outgoing_detail", code=outcome.value.code)
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@login_required
def endpoint_edit(request: AuthedRequest, code) -> HttpResponse:
    _require_staff(request)
    endpoint = _endpoint(code)
    initial = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound:
        outcome = attempt(
            form,
            lambda data: outgoing.endpoint_update(endpoint=endpoint, actor=request.user, **data),
        )
        if outcome.ok:
            messages.success(request, f"Endpoint {endpoint.name} saved.")
            return redirect("webhooks:outgoing_detail", code=endpoint.code)
    return _form_page(request, form, endpoint)


def _form_page(request, form: EndpointForm, endpoint: WebhookEndpoint | None) -> HttpResponse:
    status = 400 if form.is_bound else 200
    context = {"form": form, "endpoint": endpoint}
    return render(request, "webhooks/outgoing/form.html", context, status=status)


@require_GET
@login_required
def endpoint_detail(request: AuthedRequest, code) -> HttpResponse:
    _require_staff(request)
    endpoint = _endpoint(code)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related(
        Prefetch("attempts_log", queryset=WebhookAttempt.objects.order_by("attempted_at", "id"))
    )
    pager = paginate(request, deliveries, DELIVERIES_PER_PAGE, label="Delivery log pages")
    context = {"endpoint": endpoint, "pager": pager, "deliveries": pager.page.object_list}
    return render(request, "webhooks/outgoing/detail.html", context)


@require_POST
@login_required
def endpoint_test(request: AuthedRequest, code) -> HttpResponse:
    _require_staff(request)
    endpoint = _endpoint(code)
    _act(
        request,
        lambda: outgoing.endpoint_send_test(endpoint=endpoint, actor=request.user),
        done="Test event queued; its delivery shows below.",
    )
    return redirect("webhooks:outgoing_detail", code=endpoint.code)


@require_POST
@login_required
def endpoint_enable(request: AuthedRequest, code) -> HttpResponse:
    _require_staff(request)
    endpoint = _endpoint(code)
    _act(
        request,
        lambda: outgoing.endpoint_enable(endpoint=endpoint, actor=request.user),
        done=f"{endpoint.name} is enabled again.",
    )
    return redirect("webhooks:outgoing_detail", code=endpoint.code)


def _act(request: AuthedRequest, act: Callable[[], object], *, done: str) -> None:
    """A button with no fields: the service's refusal or `done` as a message on the page."""
    outcome = attempt(ButtonForm(request.POST), lambda _data: act())
    if outcome.ok:
        messages.success(request, done)
    else:
        messages.error(request, outcome.error)
