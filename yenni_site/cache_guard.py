"""Reads and writes of Django's cache that may fail without failing the page.

The library's shared figures and the brief and share pages' sections are kept in the default
cache (the database cache, or Redis where YENNI_REDIS_URL is set). The cache only saves work:
when it does not answer (Redis down, the cache table missing) a page computes what it would
have read, and the failure is logged so an operator sees why pages got slower.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)


def cache_guarded(operation: Callable[[], T], fallback: T, *, alias: str = "default") -> T:
    """`operation()` on the cache `alias`, or `fallback` when the cache fails.

    Inside a transaction a failed query of the database cache would abort it on PostgreSQL,
    so the operation runs in a savepoint there.
    """
    try:
        if connection.in_atomic_block and isinstance(caches[alias], DatabaseCache):
            with transaction.atomic():
                return operation()
        return operation()
    except Exception:
        logger.warning("The cache %r failed; computing instead.", alias, exc_info=True)
        return fallback
