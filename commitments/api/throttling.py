"""The anonymous rate limit: ``API_RATE_LIMIT`` requests per client address (``client_ip``, the same
address the sign-in lockout counts), answered beyond it by 429 with ``Retry-After`` (DRF's ``Throttled``).

The history lives in the cache through ``soft_cache``: with the cache down the API still answers (without a
limit) rather than failing every request. The rate is read per request, so a setting change applies.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .. import soft_cache
from ..client_ip import client_ip


class _SoftCache:
    """The two cache calls DRF's throttle makes, through ``soft_cache``."""

    def get(self, key, default=None):
        value = soft_cache.get(key)
        return default if value is soft_cache.MISSING else value

    def set(self, key, value, timeout=None):  # noqa: A003 - the cache's own word
        soft_cache.set(key, value, timeout)


class ClientAddressThrottle(SimpleRateThrottle):
    scope = "api"
    cache = _SoftCache()

    def get_rate(self) -> str | None:
        return settings.API_RATE_LIMIT or None

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}
