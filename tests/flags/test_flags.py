"""The feature flag inventory: releases touching flags, states, rollback toggles."""

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.flags.models import FlagEnvironmentState, FlagToggle
from releasehub.flags.selectors import flag_inventory, flags_for_release
from tests.factories import (
    SESSION_QUERIES,
    FeatureFlagFactory,
    FlagChangeFactory,
    ReleaseFactory,
    readiness_reference_data,
    user_with,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def people(db):
    readiness_reference_data()
    return {
        "asha": user_with(Role.RELEASE_MANAGER, username="asha"),
        "kiran": user_with(Role.SRE, username="kiran"),
        "priya": user_with(Role.SQUAD_REP, "patient", username="priya"),
    }


def test_the_inventory_lists_the_releases_that_touched_each_flag(people):
    flag = FeatureFlagFactory(key="provider-availability-cache")
    first = FlagChangeFactory(name=flag.key, release=ReleaseFactory(version="2026.11.18"))
    second = FlagChangeFactory(name=flag.key, release=ReleaseFactory(version="2026.12.02"))
    FeatureFlagFactory(key="quiet-flag", status="retired")
    rows = {r.key: r for r in flag_inventory()}
    assert {c.pk for c in rows[flag.key].changes} == {first.pk, second.pk}
    assert rows["quiet-flag"].changes == []
    assert [r.key for r in flag_inventory("retired")] == ["quiet-flag"]


def test_the_flag_list_reads_in_constant_queries(client, people, django_assert_num_queries):
    client.force_login(people["priya"])
    for n in range(5):
        flag = FeatureFlagFactory(key=f"flag-{n}")
        FlagChangeFactory(name=flag.key)
        FlagEnvironmentState.objects.create(
            flag=flag, environment="production", state="on", updated_at="2026-11-27T10:00Z"
        )
    client.get(reverse("flags:list"))
    # session (unless cached), user, roles, flags, states, releases
    with django_assert_num_queries(5 + SESSION_QUERIES):
        page = client.get(reverse("flags:list"))
    assert page.status_code == 200 and "Production: On" in page.content.decode()


def test_flags_in_a_release_show_inventory_entries_and_unknown_flags(client, people):
    release = ReleaseFactory()
    FeatureFlagFactory(key="known-flag", default_state="on")
    FlagChangeFactory(release=release, name="known-flag", default_state="on for staff")
    FlagChangeFactory(release=release, name="mystery-flag")
    rows = flags_for_release(release)
    assert [(r.key, r.flag is not None) for r in rows] == [
        ("known-flag", True),
        ("mystery-flag", False),
    ]
    client.force_login(people["priya"])
    page = client.get(reverse("flags:for_release", args=[release.code])).content.decode()
    assert "on for staff" in page and "not in the inventory" in page


def test_a_rollback_toggle_is_recorded_on_the_flag_and_the_release(client, people):
    release = ReleaseFactory(version="2026.12.02")
    flag = FeatureFlagFactory(key="provider-availability-cache")
    client.force_login(people["kiran"])
    answer = client.post(
        reverse("flags:toggle", args=[flag.key]),
        {
            "environment": "production",
            "state": "off",
            "release": "2026.12.02",
            "as_rollback": "on",
            "reason": "Cache serves stale slots",
        },
    )
    assert answer.status_code == 302
    toggle = FlagToggle.objects.get()
    assert (toggle.release, toggle.as_rollback, toggle.actor) == (release, True, people["kiran"])
    assert FlagEnvironmentState.objects.get(flag=flag, environment="production").state == "off"
    event = TimelineEvent.objects.get(verb="rollback.flag_toggled")
    assert event.release == release and "provider-availability-cache" in event.summary
    page = client.get(reverse("flags:for_release", args=[release.code])).content.decode()
    assert "rollback step" in page
    with pytest.raises(DatabaseError), transaction.atomic():
        FlagToggle.objects.update(reason="changed")


def test_a_rollback_toggle_needs_a_known_release(client, people):
    flag = FeatureFlagFactory()
    client.force_login(people["asha"])
    url = reverse("flags:toggle", args=[flag.key])
    data = {"environment": "production", "state": "off", "as_rollback": "on", "reason": "x"}
    assert client.post(url, data).status_code == 400
    assert client.post(url, {**data, "release": "nope"}).status_code == 400
    assert not FlagToggle.objects.exists()


def test_only_the_rm_or_sre_record_toggles_anyone_reads(client, people):
    flag = FeatureFlagFactory()
    client.force_login(people["priya"])
    assert client.get(reverse("flags:detail", args=[flag.key])).status_code == 200
    answer = client.post(
        reverse("flags:toggle", args=[flag.key]),
        {"environment": "production", "state": "off", "reason": "x"},
    )
    assert answer.status_code == 403 and not FlagToggle.objects.exists()
    assert client.get(reverse("flags:detail", args=["no-such-flag"])).status_code == 404
