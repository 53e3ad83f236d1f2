"""What a token may do. A personal token acts as its person (their roles decide, as in the
browser) within the scopes chosen for it; an integration token acts as its pipeline, a machine
user holding only the roles its scopes imply (accounts/machines.py)."""

from django.db import models

from releasehub.accounts.models import Role


class Scope(models.TextChoices):
    RELEASES_READ = "releases:read", "Read releases, their clock, scope, readiness and release day"
    SCOPE_WRITE = "scope:write", "Add scope tickets, report merges and CI, ask for exceptions"
    CHECKLIST_WRITE = "checklist:write", "Update checklist items"
    ROLLOUT_WRITE = "rollout:write", "Record release-day steps, rollbacks, anomalies, incidents"
    SMOKE_WRITE = "smoke:write", "Record QA smoke results"
    SIGNOFFS_WRITE = "signoffs:write", "Record your own Go/No-Go sign-off (personal tokens only)"
    METRICS_READ = "metrics:read", "Read the release metrics"


# The roles a pipeline holds for each scope it is given. No scope implies the Release Manager:
# an integration never decides an exception, a hotfix or Go/No-Go.
MACHINE_ROLES: dict[str, tuple[str, ...]] = {
    Scope.SCOPE_WRITE: (Role.SQUAD_REP,),
    Scope.CHECKLIST_WRITE: (Role.SRE,),
    Scope.ROLLOUT_WRITE: (Role.SRE,),
    Scope.SMOKE_WRITE: (Role.QA_LEAD,),
    # The metrics page's readers are Leadership, RMs and SRE; Leadership is the one that reads
    # and writes nothing else (a dashboard pipeline pulling /api/v1/metrics).
    Scope.METRICS_READ: (Role.LEADERSHIP,),
}

# Never granted to an integration: a sign-off is a person's judgement.
PERSONAL_ONLY = frozenset({Scope.SIGNOFFS_WRITE})


def machine_roles(scopes: list[str]) -> list[str]:
    return sorted({role for scope in scopes for role in MACHINE_ROLES.get(scope, ())})
