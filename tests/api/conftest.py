"""Tokens and a client that speaks to /api/v1/ the way a pipeline does."""

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.api.models import ApiToken
from releasehub.api.scopes import Scope
from releasehub.api.tokens import token_create_integration, token_create_personal
from tests.factories import UserFactory

ALL_SCOPES = list(Scope.values)
INTEGRATION_SCOPES = [s for s in ALL_SCOPES if s != Scope.SIGNOFFS_WRITE]


class Api:
    """`api.post("/releases/x/...", {...}, key="k1")` -> the response, JSON decoded in .data."""

    def __init__(self, client: Client, secret: str) -> None:
        self.client, self.secret = client, secret

    def _headers(self, key: str | None, run_url: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        if run_url is not None:
            headers["ReleaseHub-Run-URL"] = run_url
        return headers

    def _decoded(self, response):
        kind = response.get("Content-Type", "")
        response.data = json.loads(response.content) if "json" in kind else None
        return response

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        response = self.client.get(
            f"/api/v1{path}", params, headers={**self._headers(None, None), **(headers or {})}
        )
        return self._decoded(response)

    def post(self, path: str, body: Any = None, *, key: str | None = None, run_url=None):
        response = self.client.post(
            f"/api/v1{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self._headers(key, run_url),
        )
        return self._decoded(response)


def in_days(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


@pytest.fixture
def staff(db) -> User:
    return UserFactory(username="api-staff", is_staff=True)


@pytest.fixture
def personal_token(db) -> Callable[..., tuple[ApiToken, Api]]:
    def make(user: User, scopes=None, days: int = 30) -> tuple[ApiToken, Api]:
        token, secret = token_create_personal(
            user=user,
            name=f"laptop-{ApiToken.objects.count()}",
            scopes=scopes or ALL_SCOPES,
            expires_at=in_days(days),
        )
        return token, Api(Client(), secret)

    return make


@pytest.fixture
def integration_token(staff) -> Callable[..., tuple[ApiToken, Api]]:
    def make(scopes=None, days: int = 30, **limits) -> tuple[ApiToken, Api]:
        token, secret = token_create_integration(
            actor=staff,
            name=f"deploy-{ApiToken.objects.count()}",
            scopes=INTEGRATION_SCOPES if scopes is None else scopes,
            expires_at=in_days(days),
            **limits,
        )
        return token, Api(Client(), secret)

    return make
