"""Matrix rows for reading releases, their clock and the metrics (tests/api/matrix.py)."""

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from tests.api.matrix import ANY_ROLE, Row

# The metrics page's readers (metrics/views.VIEWERS); staff too, who are not in the cast.
METRICS_READERS = frozenset({Role.LEADERSHIP, Role.RELEASE_MANAGER, Role.SRE})

ROWS = [
    Row(
        "GET", "/releases", Scope.RELEASES_READ, ANY_ROLE, True, lambda api, w: api.get("/releases")
    ),
    Row(
        "GET",
        "/releases/{ref}",
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get(f"/releases/{w.release.version}"),
    ),
    Row(
        "GET",
        "/releases/{ref}/clock",
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get(f"/releases/{w.release.version}/clock"),
    ),
    Row(
        "GET",
        "/metrics",
        Scope.METRICS_READ,
        METRICS_READERS,
        True,
        lambda api, w: api.get("/metrics", days="30"),
    ),
]
