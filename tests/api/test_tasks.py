"""The purge of Idempotency-Key answers past their day, and its beat entry."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from releasehub.api.models import IdempotencyRecord
from releasehub.api.tasks import purge_idempotency
from releasehub.celery import app

pytestmark = pytest.mark.django_db


def _record(key: str, age: dt.timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        token_hash="t" * 64, key=key, fingerprint="f", created_at=timezone.now() - age, status=201
    )


def test_records_older_than_a_day_are_purged_and_younger_ones_kept():
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _record("old", dt.timedelta(hours=24, seconds=1))
        _record("young", dt.timedelta(hours=23, minutes=59))
        assert purge_idempotency.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["young"]


def test_beat_runs_the_purge_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["api-idempotency-purge"]
    assert entry["task"] == "api.purge_idempotency" and entry["schedule"] == 3600.0
    assert "api.purge_idempotency" in app.tasks  # autodiscovered from releasehub/api/tasks.py
