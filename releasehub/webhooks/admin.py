"""The webhooks' admin classes live beside their halves; this module only loads them."""

from releasehub.webhooks import admin_incoming  # noqa: F401
