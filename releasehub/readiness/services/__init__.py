"""Readiness writes, one module per stage of the runbook: the checklists, the sign-offs, the
RM's Go/No-Go decision, QA's smoke and regression results, the pre-release meeting record.
Callers import from the stage module (`from releasehub.readiness.services.signoffs import …`).
"""

# The one exception to "only the docstring": tests/factories.py imports this name from here and
# may not be edited during the refactor. Drop it once factories imports from .checklists.
from releasehub.readiness.services.checklists import checklists_create_for

__all__ = ["checklists_create_for"]
