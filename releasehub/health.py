"""`/healthz` for uptime monitors and `/-/metrics` for Prometheus (docs/operations.md)."""

import ipaddress
from functools import cache

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import CollectorRegistry

from releasehub.celery import app as celery_app
from releasehub.telemetry import EngineCollector, backlog


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 "ok"; 503 "down" when the database or broker is unreachable; 503 "degraded" when
    the services answer but timed actions or deliveries have fallen behind."""
    database = _database_ok()
    broker = _broker_ok()
    state = backlog() if database else None
    reasons = [] if state is None else state.reasons()
    if not database:
        reasons.insert(0, "database unreachable")
    if not broker:
        reasons.insert(0, "broker unreachable")
    status = "down" if not (database and broker) else "degraded" if reasons else "ok"
    body = {
        "status": status,
        "reasons": reasons,
        "database": database,
        "broker": broker,
        "overdue_actions": state.overdue_actions if state else None,
        "oldest_overdue_seconds": state.oldest_overdue_seconds if state else None,
        "failing_deliveries": state.failing_deliveries if state else None,
        "oldest_failing_delivery_seconds": (
            state.oldest_failing_delivery_seconds if state else None
        ),
    }
    return JsonResponse(body, status=200 if status == "ok" else 503)


@cache
def _registry() -> CollectorRegistry:
    # Its own registry: the default one would add this process's Python and GC series, which
    # differ per gunicorn worker and say nothing about the engine.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(EngineCollector())
    return registry


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_IPS
    )


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Counts only, no names or content; still limited to METRICS_ALLOWED_IPS (no login)."""
    if not _allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponseForbidden("Not an allowed scraper address.\n", content_type="text/plain")
    # Every name is a legacy one, so the output is the 0.0.4 format, which every Prometheus
    # (2.x included) parses; the library's "latest" content type would announce 1.0.0.
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)
