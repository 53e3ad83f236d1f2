"""Database sessions that end after SESSION_IDLE_HOURS without a request (SESSION_COOKIE_AGE).

Django's own way, SESSION_SAVE_EVERY_REQUEST, writes the session row on every request, and a
live dashboard polls every few seconds per person. This store writes it only when a request
finds less than the idle period minus REFRESH left, so a session in use is extended at most
once per REFRESH and ends between SESSION_COOKIE_AGE - REFRESH and SESSION_COOKIE_AGE after
its last request.

Set as SESSION_ENGINE in settings.py.
"""

import datetime as dt

from django.contrib.sessions.backends import db
from django.utils import timezone

REFRESH = dt.timedelta(minutes=5)


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # not in the stubs
        return self._loaded(row) if row else {}

    async def aload(self) -> dict:
        row = await self._aget_session_from_db()  # type: ignore[attr-defined]
        return self._loaded(row) if row else {}

    def _loaded(self, row) -> dict:
        age = dt.timedelta(seconds=self.get_session_cookie_age())
        # Mark it modified: SessionMiddleware then saves it with a new expiry and renews the cookie.
        if row.expire_date - timezone.now() < age - min(REFRESH, age / 2):
            self.modified = True
        return self.decode(row.session_data)
