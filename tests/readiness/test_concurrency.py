"""Twenty-five simultaneous submissions of the same sign-off leave exactly one current one.

The database decides, not a lock: the first sign-off of a slot is unique by a partial index and
`supersedes` is one-to-one, so concurrent inserts that read the same current row collide.
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from releasehub.readiness.errors import Conflict
from releasehub.readiness.evidence import current_of
from releasehub.readiness.models import SignOff
from releasehub.readiness.panels import SRE_SLOT
from releasehub.readiness.services.signoffs import signoff_record

pytestmark = [pytest.mark.clock, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 25


def _race(release, user, decision="go", comment=""):
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit():
        try:
            barrier.wait()
            signoff_record(
                release=release, actor=user, slot=SRE_SLOT, decision=decision, comment=comment
            )
            result = "ok"
        except Conflict:
            result = "conflict"
        except (PermissionDenied, Exception) as e:  # a 500 would be a failure of the rule
            result = f"error: {e!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _tips(release):
    rows = list(SignOff.objects.filter(release=release, slot="sre"))
    superseded = {r.supersedes_id for r in rows}
    return rows, [r for r in rows if r.pk not in superseded]


def test_25_simultaneous_first_sign_offs_leave_exactly_one(postgres, release, cast):
    outcomes = _race(release, cast["kiran"])
    rows, tips = _tips(release)
    assert len(rows) == len(tips) == 1
    # Losers either collided (a message, nothing written) or saw the winner's identical row.
    assert outcomes.count("ok") + outcomes.count("conflict") == THREADS, outcomes
    assert outcomes.count("conflict") >= 1, "the submissions did not overlap"


def test_25_simultaneous_changes_of_mind_leave_exactly_one_current(postgres, release, cast):
    signoff_record(release=release, actor=cast["kiran"], slot=SRE_SLOT, decision="go")
    outcomes = _race(release, cast["kiran"], "no_go", "Terraform drift")
    rows, tips = _tips(release)
    assert len(tips) == 1 and len(rows) == 2
    assert current_of(rows).decision == "no_go"
    assert outcomes.count("ok") + outcomes.count("conflict") == THREADS, outcomes
