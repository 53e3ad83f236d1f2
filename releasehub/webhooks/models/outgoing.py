"""Endpoints of other systems that ReleaseHub posts events to."""

__all__: list[str] = []
