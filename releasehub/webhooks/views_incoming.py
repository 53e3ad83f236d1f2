"""The receivers of GitHub, GitLab and Alertmanager, and the staff pages of what they heard.

A receiver answers 401 and writes nothing when the sender cannot be verified, 409 for a
delivery id seen before, and otherwise 200 with what the delivery did (also stored on its row).
"""

import hmac
import json
import logging
import uuid
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from releasehub.catalog.models import Service
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.schedule.access import may_operate
from releasehub.webhooks.incoming import Report, delivery_finish, delivery_store, tickets_mark
from releasehub.webhooks.incoming_alerts import alerts_receive
from releasehub.webhooks.incoming_code import GITHUB, GITLAB, CodeHost, dig
from releasehub.webhooks.models import Alert, IncomingDelivery, Repository, Source

log = logging.getLogger(__name__)
PAGE_ROWS = 50


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _payload(request: HttpRequest) -> dict | None:
    try:
        payload = json.loads(request.body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _receive(request: HttpRequest, host: CodeHost) -> HttpResponse:
    payload = _payload(request)
    if payload is None:
        return _refuse(400, "The body is not a JSON object.")
    name = host.repository(payload)
    repository = Repository.objects.filter(
        provider=host.provider, full_name=name, enabled=True
    ).first()
    if repository is None or not host.signed(repository, request):
        # Nothing is stored for a sender we cannot verify: no row for anyone to fill.
        log.warning(
            "%s webhook for %r refused: unknown repository or bad signature", host.provider, name
        )
        return _refuse(401, "Unknown repository or bad signature.")
    delivery_id = request.headers.get(host.delivery_header, "").strip()
    if not delivery_id:
        return _refuse(400, f"{host.delivery_header} is missing.")
    event = request.headers.get(host.event_header, "")
    # One transaction: a crash leaves no row, so the code host's retry is not taken for a replay.
    with transaction.atomic():
        delivery = delivery_store(
            source=host.provider,
            delivery_id=delivery_id,
            event=event,
            headers=dict(request.headers),
            body=request.body,
            repository=repository,
        )
        if delivery is None:
            return _refuse(409, f"Delivery {delivery_id} was received before.")
        change = host.change(event, payload)
        if isinstance(change, str):
            report = Report(lines=[change])
        else:
            report = tickets_mark(
                delivery=delivery,
                repository=repository,
                keys=change.keys,
                merged=change.merged,
                ci_passing=change.ci_passing,
                url=change.url,
            )
            report.lines.insert(0, change.note)
        delivery_finish(delivery, report.outcome, report.lines)
    return JsonResponse({"outcome": report.outcome, "detail": report.lines})


@csrf_exempt
@require_POST
def github(request: HttpRequest) -> HttpResponse:
    return _receive(request, GITHUB)


@csrf_exempt
@require_POST
def gitlab(request: HttpRequest) -> HttpResponse:
    return _receive(request, GITLAB)


@csrf_exempt
@require_POST
def alertmanager(request: HttpRequest, token: str) -> HttpResponse:
    expected = settings.ALERTMANAGER_WEBHOOK_TOKEN
    if not expected:
        raise Http404("The Alertmanager receiver is not configured.")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        log.warning("Alertmanager webhook refused: wrong token")
        return _refuse(401, "Wrong token.")
    payload = _payload(request)
    if payload is None or dig(payload, "version") != "4":
        return _refuse(400, "Expected Alertmanager's webhook JSON, version 4.")
    with transaction.atomic():
        # Alertmanager names no delivery; its alerts' fingerprints are what make it act once.
        delivery = delivery_store(
            source=Source.ALERTMANAGER,
            delivery_id=uuid.uuid4().hex,
            event=f"{dig(payload, 'status')} {dig(payload, 'groupKey')}",
            headers=dict(request.headers),
            body=request.body,
        )
        report = alerts_receive(payload)
        if delivery is not None:
            delivery_finish(delivery, report.outcome, report.lines)
    return JsonResponse({"outcome": report.outcome, "detail": report.lines})


# Staff pages -----------------------------------------------------------------------------


def _require_staff(request: AuthedRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Incoming deliveries are for staff.")


@require_GET
@login_required
def deliveries(request: AuthedRequest) -> HttpResponse:
    _require_staff(request)
    rows = IncomingDelivery.objects.select_related("repository").defer("body", "headers")
    context = {
        "pager": paginate(request, rows, PAGE_ROWS, label="Deliveries"),
        "keep_days": settings.WEBHOOK_DELIVERY_KEEP_DAYS,
    }
    return render(request, "webhooks/incoming_deliveries.html", context)


@require_GET
@login_required
def delivery(request: AuthedRequest, code: UUID) -> HttpResponse:
    _require_staff(request)
    row = get_object_or_404(IncomingDelivery.objects.select_related("repository"), code=code)
    return render(request, "webhooks/incoming_delivery.html", {"delivery": row})


@require_GET
@login_required
def alerts(request: AuthedRequest) -> HttpResponse:
    if not may_operate(request.user):
        raise PermissionDenied("Alerts are for SRE and staff.")
    services = list(Service.objects.order_by("promotion_order"))
    chosen = next((s for s in services if s.slug == request.GET.get("service")), None)
    rows = Alert.objects.select_related("service", "release")
    if chosen is not None:
        rows = rows.filter(service=chosen)
    context: dict[str, Any] = {
        "services": services,
        "chosen": chosen,
        "pager": paginate(request, rows, PAGE_ROWS, label="Alerts"),
        "label": settings.ALERT_SERVICE_LABEL,
    }
    return render(request, "webhooks/incoming_alerts.html", context)
