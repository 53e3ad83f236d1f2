"""Shapes shared by several routers."""

import datetime as dt
from uuid import UUID

from ninja import Schema


class ReleaseRef(Schema):
    code: UUID
    version: str
    kind: str
    status: str
    window_start: dt.datetime
    window_end: dt.datetime


class Problem(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    rule: str | None = None


# The problem answers every endpoint may give, for the schema.
PROBLEMS: dict[int, type[Schema]] = {code: Problem for code in (401, 403, 404, 422, 429)}
WRITE_PROBLEMS: dict[int, type[Schema]] = {**PROBLEMS, 409: Problem}
