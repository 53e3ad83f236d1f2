"""Database sessions that end after SESSION_IDLE_HOURS without a request (SESSION_COOKIE_AGE).

Django's own way, SESSION_SAVE_EVERY_REQUEST, writes the session row on every request, and a
live dashboard polls every few seconds per person. This store writes it only when a request
finds less than the idle period minus REFRESH left, so a session in use is extended at most
once per REFRESH and ends between SESSION_COOKIE_AGE - REFRESH and SESSION_COOKIE_AGE after
its last request.

Set as SESSION_ENGINE in settings.py when there is no shared cache; with one (Redis), the
cached variant below (accounts/cached_sessions.py) reads the session without a query.
"""

import contextlib
import datetime as dt

from django.contrib.sessions.backends import cached_db, db
from django.utils import timezone

REFRESH = dt.timedelta(minutes=5)


def _extends(store: db.SessionStore, expire_date: dt.datetime) -> bool:
    """Whether this request should extend the session (and so write it)."""
    age = dt.timedelta(seconds=store.get_session_cookie_age())
    return expire_date - timezone.now() < age - min(REFRESH, age / 2)


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # not in the stubs
        return self._loaded(row) if row else {}

    async def aload(self) -> dict:
        row = await self._aget_session_from_db()  # type: ignore[attr-defined]
        return self._loaded(row) if row else {}

    def _loaded(self, row) -> dict:
        # Mark it modified: SessionMiddleware then saves it with a new expiry and renews the cookie.
        if _extends(self, row.expire_date):
            self.modified = True
        return self.decode(row.session_data)


class CachedSessionStore(cached_db.SessionStore):
    """The same idle expiry, read from the shared cache: the entry holds the session and its
    expiry, so the refresh rule above needs no query. The database row stays the record (a
    cache restart loses nothing); every write goes to both, and a logout deletes both."""

    cache_key_prefix = "releasehub.session:"

    def load(self) -> dict:
        try:
            entry = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except Exception:  # an unusable key or a cache away: read the row
            entry = None
        if entry is None:
            row = self._get_session_from_db()  # type: ignore[attr-defined]
            if not row:
                return {}
            entry = (row.expire_date, self.decode(row.session_data))
            self._cache_set(entry)
        expire_date, data = entry
        # The cache's own timeout runs on its clock; the expiry stored with the entry is the
        # rule (and what the tests' moved clock moves).
        if expire_date <= timezone.now():
            return {}
        if _extends(self, expire_date):
            self.modified = True
        return data

    async def aload(self) -> dict:  # the app is synchronous; keep the async path correct
        return self.load()

    def save(self, must_create: bool = False) -> None:
        db.SessionStore.save(self, must_create)
        self._cache_set((self.get_expiry_date(), self._session))  # type: ignore[attr-defined]

    async def asave(self, must_create: bool = False) -> None:
        self.save(must_create)

    def _cache_set(self, entry: tuple[dt.datetime, dict]) -> None:
        # The row is written already; if the cache is away, the next read fills it.
        with contextlib.suppress(Exception):
            self._cache.set(self.cache_key, entry, self.get_expiry_age(expiry=entry[0]))  # type: ignore[attr-defined]
