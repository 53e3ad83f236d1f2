from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition


def end_live_releases() -> None:
    """The demo seed has a hotfix in progress; tests of the planned release's panels end it."""
    for live in Release.objects.filter(status__in=Release.LIVE_STATUSES):
        release_transition(
            release=live, to=Release.Status.ROLLED_BACK, actor=None, reason="Not this test"
        )
