import pytest

from releasehub.readiness.models import ChecklistItem, Phase, Suite
from releasehub.readiness.panels import SRE_SLOT, squad_slot
from releasehub.readiness.services.checklists import checklist_item_update
from releasehub.readiness.services.qa import regression_record
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.models import Release
from tests.factories import readiness_cast, readiness_release

SQUAD_OF = {"priya": "patient", "rahul": "doctor", "sana": "admin", "dev": "shared"}


@pytest.fixture
def cast(db):
    return readiness_cast()


@pytest.fixture
def release(cast) -> Release:
    return readiness_release()


def sign(release, user, decision="go", comment=""):
    """Sign as `user` for their own slot (their squad, or SRE)."""
    slot = SRE_SLOT
    if user.username in SQUAD_OF:
        slot = squad_slot(user.squads[0])
    return signoff_record(
        release=release, actor=user, slot=slot, decision=decision, comment=comment
    )


def sign_all(release, cast, decision="go"):
    for name in ["priya", "rahul", "sana", "dev", "kiran"]:
        sign(release, cast[name], decision, comment="" if decision == "go" else "not ready")


def complete_pre_release(release, cast):
    """Tick every manual pre-release item and log clean regression results."""
    for item in ChecklistItem.objects.filter(release=release, phase=Phase.PRE_RELEASE):
        if not item.computed_by:
            checklist_item_update(item=item, actor=cast["asha"], state="done", evidence="ok")
    for suite in Suite.values:
        regression_record(
            release=release, actor=cast["neha"], suite=suite, passed=10, failed=0, skipped=0
        )
