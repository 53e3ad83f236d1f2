import copy
import datetime as dt

import pytest

from releasehub.accounts.models import Role
from releasehub.audit.models import InterventionKind, ManualIntervention
from releasehub.metrics.importer import import_actor, import_history
from releasehub.releases.models import Release
from tests.factories import readiness_reference_data, user_with
from tests.metrics.history import HISTORY


@pytest.fixture
def history(db):
    readiness_reference_data()
    actor = import_actor()
    import_history(copy.deepcopy(HISTORY), actor=actor)
    ManualIntervention.objects.create(
        release=Release.objects.get(version="2025.07"),
        kind=InterventionKind.SKIP,
        actor=actor,
        reason="Skipped staging smoke",
        at=dt.datetime.fromisoformat("2025-03-19T10:05:00+05:30"),
    )
    return HISTORY


@pytest.fixture
def leader(db):
    return user_with(Role.LEADERSHIP)
