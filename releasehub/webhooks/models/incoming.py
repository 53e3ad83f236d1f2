"""Code hosts and Alertmanager posting to ReleaseHub."""

__all__: list[str] = []
