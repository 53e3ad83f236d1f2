"""`/healthz`: can this process reach the database and the broker, and is timed work overdue?"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from releasehub.celery import app as celery_app
from releasehub.schedule.selectors import overdue_count


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
    database = _database_ok()
    broker = _broker_ok()
    body = {
        "status": "ok" if database and broker else "unavailable",
        "database": database,
        "broker": broker,
        "overdue_actions": overdue_count() if database else None,
    }
    return JsonResponse(body, status=200 if database and broker else 503)
