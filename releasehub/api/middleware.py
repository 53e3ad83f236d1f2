"""Two things every /api/ response gets, before the view knows it: a write sent with an
Idempotency-Key runs once (its answer replayed for a day), and a read carries an ETag."""

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, set_response_etag

from releasehub.api.models import IdempotencyRecord, secret_hash
from releasehub.api.problems import problem

PREFIX = "/api/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _stored(response: HttpResponse) -> bool:
    """Not an answer to keep: the token was refused (401), the limit hit (429), a runbook gate
    held (409: nothing was written, and the gate may open, so the pipeline's retry with the
    same key must ask again), or the server failed (5xx, its writes rolled back)."""
    return response.status_code not in (401, 409, 429) and response.status_code < 500


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.method in WRITES and HEADER in request.headers:
            return self._idempotent(request)
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            set_response_etag(response)
            return (
                get_conditional_response(request, etag=response.get("ETag"), response=response)
                or response
            )
        return response

    def _idempotent(self, request: HttpRequest) -> HttpResponse:
        key = request.headers[HEADER].strip()
        if not 0 < len(key) <= 255:
            return problem(request, 422, "Invalid Idempotency-Key", "Send 1 to 255 characters.")
        bearer = request.headers.get("Authorization", "")
        fingerprint = hashlib.sha256(
            b"\n".join([(request.method or "").encode(), request.path.encode(), request.body])
        ).hexdigest()
        lookup = {"token_hash": secret_hash(bearer), "key": key}
        IdempotencyRecord.objects.filter(**lookup, created_at__lt=timezone.now() - KEPT).delete()
        with transaction.atomic():
            try:
                # Waits here while another request with the same key is running (the unique
                # index), then fails once that one has committed its answer.
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(**lookup, fingerprint=fingerprint)
            except IntegrityError:
                record = IdempotencyRecord.objects.get(**lookup)
                if record.fingerprint != fingerprint:
                    return problem(
                        request,
                        422,
                        "Idempotency-Key reused",
                        "This key was sent before with another request; use a new key.",
                    )
                return _replay(record)
            response = self.get_response(request)
            if not _stored(response):
                transaction.set_rollback(True)
                return response
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content
            record.save(update_fields=["status", "content_type", "body"])
            return response
