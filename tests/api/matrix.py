"""The API's authorization matrix, as data: one Row per endpoint (method and schema path).

Each row says which scope the endpoint needs, which roles a person's token must hold (the same
predicates as the browser), and whether an integration token with the scope may call it. The
runner (test_matrix.py) calls every row as every principal against a prepared World and checks:
allowed -> neither 401 nor 403; refused -> 403 and nothing on the timeline. A second test checks
that the rows cover every operation in the OpenAPI schema, so a new endpoint without a row fails.

Rows are kept per area (matrix_releases.py, matrix_scope.py, matrix_rollout.py); each module
exports ROWS.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from releasehub.accounts.models import Role
from releasehub.releases.models import Release

ANY_ROLE = frozenset(Role.values)


@dataclass
class World:
    """What the rows act on: a release at Go with services and apps in scope, its checklists,
    the runbook's people (tests/factories.readiness_cast) and anything a row's `prepare` adds."""

    release: Release
    people: dict
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    method: str  # "GET", "POST", …
    path: str  # as in the schema, under /api/v1: "/releases/{ref}"
    scope: str  # the scope the token must have
    roles: frozenset[str]  # roles whose personal token may do it (ANY_ROLE for reads)
    integration: bool  # may an integration token holding the scope do it
    # Sends the request: call(api, world) -> response (tests/api/conftest.Api).
    call: Callable = field(compare=False)
    # Squad of the squad representative allowed, when the row is squad-bound (else any rep).
    squad: str | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or f"{self.method} {self.path}"
