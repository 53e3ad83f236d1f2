"""The apps above releases act on its changes in the same transaction, through hooks."""

import pytest
from django.apps import apps

from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.releases.hooks import Change, subscribers
from releasehub.schedule import planning


def test_schedule_and_readiness_subscribe_to_the_release_changes_once():
    for config in ("schedule", "readiness"):
        apps.get_app_config(config).ready()  # a second ready() adds nothing
    assert subscribers(Change.CLOCK) == [planning.replan]
    assert subscribers(Change.CREATED) == [checklists_create_for]
    assert subscribers(Change.HOTFIX_DEPLOYED) == [planning.plan_back_merge_reminders]
    assert subscribers(Change.BACK_MERGED) == [planning.stop_back_merge_reminders]


@pytest.mark.clock
@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_rolls_the_release_back(monkeypatch):
    from releasehub.releases.clock import default_window
    from releasehub.releases.models import Release
    from releasehub.releases.services.lifecycle import release_create
    from tests.factories import next_wednesday, readiness_reference_data

    readiness_reference_data()

    def refuse(release):
        raise RuntimeError("checklist templates unreadable")

    monkeypatch.setattr("releasehub.releases.hooks._subscribers", {c: [] for c in Change})
    from releasehub.releases import hooks

    hooks.subscribe(Change.CREATED, refuse)
    start, end = default_window(next_wednesday())
    with pytest.raises(RuntimeError):
        release_create(version="2031.9", window_start=start, window_end=end, actor=None)
    assert not Release.objects.filter(version="2031.9").exists()
