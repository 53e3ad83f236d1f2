import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from releasehub.metrics.importer import HistoryError, import_actor, import_history
from releasehub.releases.models import Release
from releasehub.rollout.models import Deployment, HotfixFix, Incident, Rollback
from tests.factories import readiness_reference_data
from tests.metrics.history import HISTORY


def counts():
    return (
        Release.objects.count(),
        Deployment.objects.count(),
        Rollback.objects.count(),
        Incident.objects.count(),
        HotfixFix.objects.count(),
    )


def test_the_command_imports_and_a_second_import_changes_nothing(db, tmp_path):
    readiness_reference_data()
    path = tmp_path / "history.json"
    path.write_text(json.dumps(HISTORY))
    call_command("import_history", str(path), stdout=io.StringIO())
    first = counts()
    assert first == (5, 9, 1, 4, 1)  # 8 deployment rows (a failed attempt included), 1 rollback
    call_command("import_history", str(path), stdout=io.StringIO())
    assert counts() == first


def _broken(path_keys, value):
    data = copy.deepcopy(HISTORY)
    node = data
    for key in path_keys[:-1]:
        node = node[key]
    node[path_keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("keys", "value", "message"),
    [
        (
            ["releases", 1, "deployments", 0, "target"],
            "nope",
            "$.releases[1].deployments[0].target: unknown target",
        ),
        (
            ["releases", 1, "deployments", 0, "started_at"],
            "yesterday",
            "$.releases[1].deployments[0].started_at: bad time",
        ),
        (
            ["releases", 1, "deployments", 0, "finished_at"],
            "2025-03-05T09:00:00+05:30",
            "$.releases[1].deployments[0].finished_at: finished before started",
        ),
        (["releases", 2, "version"], "2025.05", "$.releases[2].version: duplicate key"),
        (["incidents", 1, "key"], "INC-1", "$.incidents[1].key: duplicate key"),
        (["incidents", 0, "severity"], "SEV-9", "$.incidents[0].severity: must be one of"),
    ],
)
def test_a_bad_file_names_the_path_and_imports_nothing(db, keys, value, message):
    readiness_reference_data()
    with pytest.raises(HistoryError) as error:
        import_history(_broken(keys, value), actor=import_actor())
    assert str(error.value).startswith(message)
    assert counts() == (0, 0, 0, 0, 0)


def test_the_command_reports_the_error(db, tmp_path):
    readiness_reference_data()
    path = tmp_path / "history.json"
    path.write_text(json.dumps(_broken(["releases", 0, "deployments", 0, "target"], "x")))
    with pytest.raises(CommandError, match=r"\$\.releases\[0\]\.deployments\[0\]\.target"):
        call_command("import_history", str(path))
    assert counts() == (0, 0, 0, 0, 0)
