"""Incoming deliveries (incoming.py) and outgoing endpoints with their deliveries (outgoing.py)."""

from releasehub.webhooks.models.incoming import *  # noqa: F403
from releasehub.webhooks.models.outgoing import *  # noqa: F403
