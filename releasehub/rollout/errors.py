"""What the release day rules refuse. The messages are shown to the person as they are."""

from releasehub.core.errors import ServiceError


class RolloutError(ServiceError):
    """A step the rules refuse; the message is shown as it is."""


def refuse(reason: str) -> None:
    """Raise a reason from rules.py, the one place the board reads it too."""
    if reason:
        raise RolloutError(reason)
