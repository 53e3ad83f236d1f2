"""Reading the other end of a reverse one-to-one, which Django answers with an exception when
there is no row."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist


def one_to_one_or_none(instance: Any, name: str) -> Any:
    """`instance.<name>`, or None when no row points back (a request not yet decided)."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def prefetched(instance: Any, *names: str) -> bool:
    """Whether `instance` holds the rows of each of `names` from a prefetch_related (reading
    them then costs no query)."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return all(name in cache for name in names)


def prefetched_rows(instance: Any, names: list[str]) -> dict[str, Any]:
    """The rows of `names` that a prefetch_related left on `instance` (each a QuerySet holding
    its rows: what the related manager answers, and what pickles with them)."""
    cache = vars(instance)["_prefetched_objects_cache"]
    return {name: cache[name] for name in names}


def keep_prefetched(instance: Any, rows: dict[str, Any]) -> None:
    """Put `rows` (from `prefetched_rows` on another copy of the same row) on `instance`, as if
    it had been prefetched onto it."""
    state = vars(instance)
    state["_prefetched_objects_cache"] = {**state.get("_prefetched_objects_cache", {}), **rows}
