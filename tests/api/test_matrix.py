"""Every endpoint, as a personal token of each role and as integration tokens with and without the
scope: allowed calls are neither 401 nor 403; refused ones are 403 with nothing written."""

import importlib
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from releasehub.api.tokens import token_create_integration, token_create_personal
from releasehub.api.v1 import api as ninja_api
from releasehub.audit.models import TimelineEvent
from tests.api.conftest import INTEGRATION_SCOPES, Api, in_days
from tests.api.matrix import Row, World
from tests.factories import UserFactory, readiness_cast, rollout_release, user_with

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ROW_MODULES = sorted(p.stem for p in Path(__file__).parent.glob("matrix_*.py"))
ROWS: list[Row] = [
    row for name in ROW_MODULES for row in importlib.import_module(f"tests.api.{name}").ROWS
]


def _world() -> World:
    release = rollout_release(["identity", "providers"], ["patient-web"])
    people = readiness_cast()
    people["support"] = user_with(Role.SUPPORT, username="support")
    return World(release=release, people=people)


def _principals(world: World, row: Row) -> list[tuple[str, Api, bool]]:
    """(who, client, allowed) for each person and for integrations with and without the scope."""
    principals = []
    for username, person in world.people.items():
        _, secret = token_create_personal(
            user=person, name=f"matrix-{username}", scopes=Scope.values, expires_at=in_days(5)
        )
        roles = {a.role for a in person.assignments}
        allowed = bool(roles & row.roles)
        if row.squad and roles == {Role.SQUAD_REP}:
            allowed = any(s.slug == row.squad for s in person.squads)
        principals.append((username, Api(Client(), secret), allowed))
    staff = UserFactory(username="matrix-staff", is_staff=True)
    for label, scopes, allowed in (
        ("integration with the scope", INTEGRATION_SCOPES, row.integration),
        (
            "integration without it",
            [s for s in INTEGRATION_SCOPES if s != row.scope] or [Scope.METRICS_READ],
            False,
        ),
    ):
        _, secret = token_create_integration(
            actor=staff, name=label, scopes=scopes, expires_at=in_days(5)
        )
        principals.append((label, Api(Client(), secret), allowed))
    return principals


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_authorization_matrix(row: Row):
    world = _world()
    outcomes = {}
    for who, client, allowed in _principals(world, row):
        with transaction.atomic():
            before = TimelineEvent.objects.count()
            response = row.call(client, world)
            written = TimelineEvent.objects.count() - before
            transaction.set_rollback(True)
        if allowed:
            outcomes[who] = response.status_code not in (401, 403) or response.status_code
        else:
            outcomes[who] = (response.status_code == 403 and written == 0) or (
                response.status_code,
                written,
            )
    assert outcomes == dict.fromkeys(outcomes, True)


def test_the_matrix_covers_every_operation_in_the_schema():
    schema = ninja_api.get_openapi_schema()
    operations = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in schema["paths"].items()
        for method in item
    }
    assert {(row.method, row.path) for row in ROWS} == operations
