"""Matrix rows for scope, freeze exceptions, sign-offs, checklists and smoke (tests/api/matrix.py).

The world's release is at Go, so its scope is frozen: a ticket add by someone allowed answers
409 (ScopeFrozen), which is neither 401 nor 403; a CI result is not a change of scope and goes
through. A sign-off is never an integration's, with or without a scope."""

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.releases.models import ScopeTicket
from tests.api.matrix import ANY_ROLE, Row

R = Role
SRE_ITEM = "SRE verified infrastructure changes (Terraform, database migrations)"


def _base(w) -> str:
    return f"/releases/{w.release.version}"


def _ticket_status(api, w):
    ticket = ScopeTicket.objects.filter(release=w.release, squad__slug="patient").first()
    return api.post(f"{_base(w)}/tickets/{ticket.key}/status", {"ci_passing": False})


def _item_update(api, w):
    item = ChecklistItem.objects.get(release=w.release, text=SRE_ITEM)
    return api.post(f"{_base(w)}/checklist/{item.code}/updates", {"state": "done"})


def _smoke(api, w):
    item = ChecklistItem.objects.filter(release=w.release, phase=Phase.SMOKE).first()
    return api.post(f"{_base(w)}/smoke/{item.code}", {"outcome": "passed"})


EXCEPTION = {
    "items": ["PAT-900"],
    "reason": "Fixes a crash",
    "risk": "Low",
    "rollback_note": "Revert the commit",
}


def _read(path: str) -> Row:
    return Row(
        "GET",
        "/releases/{ref}" + path,
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get(_base(w) + path),
    )


ROWS = [
    _read("/tickets"),
    _read("/freeze-exceptions"),
    _read("/signoffs"),
    _read("/checklist"),
    _read("/smoke"),
    Row(
        "POST",
        "/releases/{ref}/tickets",
        Scope.SCOPE_WRITE,
        frozenset({R.RELEASE_MANAGER, R.SQUAD_REP}),
        True,
        lambda api, w: api.post(
            f"{_base(w)}/tickets", {"key": "PAT-901", "title": "New", "squad": "patient"}
        ),
        squad="patient",
    ),
    Row(
        "POST",
        "/releases/{ref}/tickets/{key}/status",
        Scope.SCOPE_WRITE,
        frozenset({R.RELEASE_MANAGER, R.SQUAD_REP}),
        True,
        _ticket_status,
        squad="patient",
    ),
    Row(
        "POST",
        "/releases/{ref}/freeze-exceptions",
        Scope.SCOPE_WRITE,
        frozenset({R.RELEASE_MANAGER, R.SQUAD_REP, R.SRE}),
        True,
        lambda api, w: api.post(f"{_base(w)}/freeze-exceptions", EXCEPTION),
    ),
    Row(
        "POST",
        "/releases/{ref}/signoffs",
        Scope.SIGNOFFS_WRITE,
        frozenset({R.SQUAD_REP, R.SRE}),
        False,
        lambda api, w: api.post(f"{_base(w)}/signoffs", {"decision": "go"}),
    ),
    Row(
        "POST",
        "/releases/{ref}/checklist/{item}/updates",
        Scope.CHECKLIST_WRITE,
        frozenset({R.SRE, R.RELEASE_MANAGER}),
        True,
        _item_update,
    ),
    Row(
        "POST",
        "/releases/{ref}/smoke/{item}",
        Scope.SMOKE_WRITE,
        frozenset({R.QA_LEAD}),
        True,
        _smoke,
    ),
]
