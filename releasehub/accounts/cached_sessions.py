"""SESSION_ENGINE when a shared cache exists (settings.py): see sessions.CachedSessionStore."""

from releasehub.accounts.sessions import CachedSessionStore as SessionStore

__all__ = ["SessionStore"]
