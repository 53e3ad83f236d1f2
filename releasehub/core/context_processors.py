from django.conf import settings
from django.http import HttpRequest


def live_poll(request: HttpRequest) -> dict[str, dict[str, int]]:
    """`{{ live_poll.board }}`: every live section's poll interval, from one setting."""
    return {"live_poll": settings.LIVE_POLL_SECONDS}
