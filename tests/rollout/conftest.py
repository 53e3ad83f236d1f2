import pytest

from releasehub.schedule.services import claim_due, run_action
from tests.factories import readiness_cast
from tests.rollout.prometheus_fixtures import (  # noqa: F401 (fixtures for the health gates)
    doomed_prometheus,
    exporter,
    prometheus,
)

ALL_SERVICES = ["identity", "providers", "appointments", "payments", "messaging", "analytics"]
ALL_APPS = ["patient-web", "doctor-web", "admin-console"]


@pytest.fixture
def cast(db) -> dict:
    return readiness_cast()


def fire_due() -> list:
    """One sweep and the runs it claimed, in this thread (no worker runs in tests)."""
    return [run_action(pk) for pk in claim_due(on_claimed=lambda ids: None)]
