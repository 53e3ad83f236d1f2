import datetime as dt

import pytest
import time_machine

from releasehub.releases.models import Release
from releasehub.releases.tasks import fill_trains
from tests.factories import TrainFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def test_the_hourly_task_keeps_each_active_train_four_releases_ahead():
    with time_machine.travel(dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC), tick=False):
        train = TrainFactory(anchor_date=dt.date(2026, 12, 2))
        TrainFactory(name="Paused train", anchor_date=dt.date(2026, 12, 3), active=False)
        assert fill_trains() == 4
        assert fill_trains() == 0
        assert list(Release.objects.filter(train=train).values_list("train_date", flat=True)) == [
            dt.date(2027, 1, 13),
            dt.date(2026, 12, 30),
            dt.date(2026, 12, 16),
            dt.date(2026, 12, 2),
        ]
    with time_machine.travel(dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC), tick=False):
        # The 2 Dec release's window has passed: the train plans one more.
        assert fill_trains() == 1
