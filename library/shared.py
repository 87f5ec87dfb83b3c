"""What the library computes once for every process: the site's shared cache, keyed by data.

A gunicorn worker that kept its scope sums and tiers in its own memory made every worker pay
for every first click on a filter (221–263 ms at 20,000 images, issue 17). They now live in
Django's default cache, which is the database cache on the embedded default and Redis where
YENNI_REDIS_URL is set: one worker's first click warms every other worker and every restart.

An entry is never invalidated: its key holds the version of the data it was read from (the
rollup build, the rule's version, the day), so new data is a new key and the old entry ages
out. `library_shared_clear()` moves every key to a new generation (tests roll back and reuse
row ids, which would otherwise meet entries of a previous test); a process reads the
generation once, so the cost of the cache is one read per scope or tier map it lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

from yenni_site.cache_guard import cache_guarded

T = TypeVar("T")

CACHE_ALIAS = "default"
# Keys change with the data, so the timeout only bounds how long a dead entry takes room.
SHARED_SECONDS = 24 * 3600
_GENERATION_KEY = "library:generation"
_MISSING = object()


def _cache():
    return caches[CACHE_ALIAS]


def _guarded(operation: Callable[[], T], fallback: T) -> T:
    """`operation()` on the shared cache, or `fallback` when it fails: a broken cache costs the
    computation, never the page (yenni_site.cache_guard)."""
    return cache_guarded(operation, fallback, alias=CACHE_ALIAS)


# The generation is read once per process: only library_shared_clear() changes it (tests, the
# bench's first pass), and a process that clears reads the new one.
_generation_seen: int | None = None


def _generation() -> int:
    global _generation_seen
    if _generation_seen is not None:
        return _generation_seen

    def read() -> int | None:
        generation = _cache().get(_GENERATION_KEY)
        if generation is None:
            _cache().add(_GENERATION_KEY, 1, timeout=None)
            generation = _cache().get(_GENERATION_KEY)
        return None if generation is None else int(generation)

    found = _guarded(read, None)
    if found is None:
        return 0  # the cache is not answering: ask again next time
    _generation_seen = found
    return found


def shared_key(kind: str, *parts: object) -> str:
    """The cache key for `kind` read from data at `parts` (ids, versions, dates)."""
    return ":".join(["library", f"g{_generation()}", kind, *(str(part) for part in parts)])


def shared_get_or_compute(key: str, compute: Callable[[], T]) -> T:
    """The value under `key`, computed and stored by the first process that asks.

    Two processes asking at once both compute it (the result is the same).
    """
    found = _guarded(lambda: _cache().get(key, _MISSING), _MISSING)
    if found is not _MISSING:
        return found
    value = compute()
    shared_put(key, value)
    return value


def shared_put(key: str, value: object) -> None:
    """Store `value` under `key` (a later process replaces what an earlier one could not use)."""
    _guarded(lambda: _cache().set(key, value, timeout=SHARED_SECONDS), None)


def library_shared_clear() -> None:
    """Retire every shared entry of the library: later reads use a new generation of keys."""

    def bump() -> None:
        try:
            _cache().incr(_GENERATION_KEY)
        except ValueError:  # no generation yet
            _cache().set(_GENERATION_KEY, 2, timeout=None)

    global _generation_seen
    _guarded(bump, None)
    _generation_seen = None
