"""What the readiness rules refuse. The messages are shown to the person as they are."""

from releasehub.core.errors import ServiceError


class ReadinessError(ServiceError):
    """A request the readiness rules refuse."""


class Conflict(ReadinessError):
    """Someone recorded the same thing at the same moment; the first one stands."""


def clean_text(value: str, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReadinessError(f"{what} is required.")
    return value
