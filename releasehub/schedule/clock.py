"""The engine's one reference clock: the database server's.

Beat, workers and the web may run on machines whose clocks disagree; the database is the one
place they all meet. Due-ness (claim_due), leases, `fired_at` and `finished_at` are all read
from `db_now()`, once per run, so a worker whose clock is ahead neither fires early nor records
a false lateness.

On SQLite the database is a file inside this process, so its clock is this host's: the Python
clock (which time-machine moves in tests). On PostgreSQL it is `statement_timestamp()`, unless
`SCHEDULE_CLOCK = "python"`: the test suite's fixed clock moves Python's time only, so tests on
PostgreSQL that move time use it (and the single-host embedded setup could too).
"""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

DATABASE = "database"
PYTHON = "python"


def source() -> str:
    if connection.vendor != "postgresql":
        return PYTHON
    return getattr(settings, "SCHEDULE_CLOCK", DATABASE)


def db_now() -> dt.datetime:
    """Now, on the database's clock (one query on PostgreSQL, none on SQLite)."""
    if source() == PYTHON:
        return timezone.now()
    with connection.cursor() as cursor:
        # statement_timestamp, not now(): inside a long transaction now() stands still.
        cursor.execute("SELECT statement_timestamp()")
        (now,) = cursor.fetchone()
    return now
