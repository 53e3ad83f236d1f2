"""The Celery app is real: a worker thread consumes a task from Redis and writes to the database."""

import time

import pytest

from releasehub.audit.models import TimelineEvent
from releasehub.audit.timeline import record_event
from releasehub.celery import app
from releasehub.releases.models import Release
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.clock


@app.task(name="tests.record_worker_event")
def record_worker_event(release_id: int) -> None:
    release = Release.objects.get(pk=release_id)
    record_event(verb="test.worker", target=release, release=release, summary="from the worker")


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.redis
def test_a_real_worker_runs_a_task_sent_through_redis(celery_worker, settings):
    assert app.conf.broker_url.startswith("redis://")
    release = ReleaseFactory()
    record_worker_event.delay(release.pk)
    assert _wait_for(lambda: TimelineEvent.objects.filter(verb="test.worker").exists())
    event = TimelineEvent.objects.get(verb="test.worker")
    assert event.release == release and event.automatic


def test_the_beat_schedule_is_defined_in_settings_only(settings):
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
