"""A small client for the Prometheus HTTP API (`/api/v1/query`).

Every failure is an answer, never an exception: the health gates turn it into a verdict that
holds the gate (fail closed), and the board says why. A rule's expression must read one number:
one series, or a scalar. No series, or NaN (a quantile or a ratio over no traffic), is no data.
"""

import datetime as dt
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

OK, NO_DATA, UNREACHABLE, ERROR = "ok", "no_data", "unreachable", "error"


@dataclass(frozen=True)
class Reading:
    """What one query read: `value` when `status` is OK, otherwise `detail` says why not."""

    status: str
    value: float | None = None
    detail: str = ""


def configured() -> bool:
    return bool(settings.PROMETHEUS_URL)


def _post(path: str, form: dict[str, str], timeout: float) -> dict:
    url = settings.PROMETHEUS_URL.rstrip("/") + path
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    # Prometheus answers a bad query 400 or 422 with a JSON body that says why.
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        try:
            return json.load(error)
        except ValueError:
            return {"status": "error", "error": f"HTTP {error.code}"}


def _number(raw: str) -> float | None:
    value = float(raw)
    return None if math.isnan(value) or math.isinf(value) else value


def _reading(body: dict) -> Reading:
    if body.get("status") != "success":
        return Reading(ERROR, detail=f"query error: {body.get('error', 'unknown')}"[:300])
    data = body.get("data", {})
    result = data.get("result")
    if data.get("resultType") == "scalar":
        value = _number(result[1])
    elif data.get("resultType") == "vector":
        if not result:
            return Reading(NO_DATA, detail="no data")
        if len(result) > 1:
            return Reading(ERROR, detail=f"query error: {len(result)} series, the rule needs one")
        value = _number(result[0]["value"][1])
    else:
        return Reading(ERROR, detail=f"query error: a {data.get('resultType')} is not a number")
    if value is None:
        return Reading(NO_DATA, detail="no data (NaN: no traffic in the range?)")
    return Reading(OK, value=value)


def query(expression: str, *, at: dt.datetime | None = None) -> Reading:
    """The expression's value now (Prometheus's clock), or at `at`."""
    if not configured():
        return Reading(UNREACHABLE, detail="Prometheus unreachable: PROMETHEUS_URL is not set")
    form = {"query": expression}
    if at is not None:
        form["time"] = f"{at.timestamp():.3f}"
    try:
        body = _post("/api/v1/query", form, settings.PROMETHEUS_TIMEOUT)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        return Reading(UNREACHABLE, detail=f"Prometheus unreachable: {reason}"[:300])
    except ValueError:
        return Reading(ERROR, detail="query error: Prometheus did not answer JSON")
    try:
        return _reading(body)
    except (KeyError, IndexError, TypeError, ValueError):
        return Reading(ERROR, detail="query error: an answer this client cannot read")
