"""The cache as an optional speed-up: every cache call on the request path goes through here.

When the cache (Redis) is unreachable, a call answers "not cached" instead of raising, so pages
are built from the database. The first failure logs one warning (a line, not a traceback); then
this process leaves the cache alone for ``RETRY_SECONDS`` (no connection attempt, and so no
connect timeout, per request) before trying it again, silently, until it answers; its return is
logged too. ``/healthz`` calls ``probe()``, which always tries the cache, to report the truth.

Errors of the code that computes a value (a database error, say) are not the cache's and
propagate as before.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
MISSING = object()  # "not in the cache" (a cached value may be None or False)
PROBE_KEY = "healthz:probe"


def _now() -> float:
    return time.monotonic()


class _Outage:
    """This process's view of the cache: up, or down until a retry time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0

    def skipping(self) -> bool:
        return self.down and _now() < self.retry_at

    def failed(self, error: Exception) -> None:
        with self.lock:
            first = not self.down
            self.down, self.retry_at = True, _now() + RETRY_SECONDS
        if first:
            logger.warning(
                "Cache unavailable (%s: %s); serving pages from the database, retrying every %d s",
                type(error).__name__, error, RETRY_SECONDS,
            )

    def answered(self) -> None:
        if not self.down:
            return
        with self.lock:
            was_down, self.down = self.down, False
        if was_down:
            logger.info("Cache available again")


outage = _Outage()


def _call(operation, *args, force: bool = False):
    """``operation(*args)``, or ``MISSING`` if the cache is down (or is left alone for now)."""
    if outage.skipping() and not force:
        return MISSING
    try:
        result = operation(*args)
    except Exception as error:  # noqa: BLE001 - any failure of the cache backend means "not cached"
        outage.failed(error)
        return MISSING
    outage.answered()
    return result


def get(key: str):
    """The cached value, or ``MISSING``."""
    return _call(cache.get, key, MISSING)


def set(key: str, value, timeout: float | None) -> None:  # noqa: A001 - the cache's own word
    _call(cache.set, key, value, timeout)


def get_or_set(key: str, compute, timeout: float | None):
    """The cached value, else ``compute()`` (stored if the cache answers)."""
    value = get(key)
    if value is MISSING:
        value = compute()
        set(key, value, timeout)
    return value


def probe() -> bool:
    """True when the cache stores and returns a value now (tried even during an outage)."""
    if _call(cache.set, PROBE_KEY, "ok", 10, force=True) is MISSING:
        return False
    return _call(cache.get, PROBE_KEY, force=True) is not MISSING
