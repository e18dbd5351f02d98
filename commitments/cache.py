"""Caching whole public pages, keyed by the public data version so a publish is seen at once.

The version lives in the database (one row), so every process and server agrees on it whether
the cache is local memory or Redis. Any saved or deleted row of the tracker bumps it, in the same
transaction (see ``signals.py``); bulk writers call ``bump()`` themselves.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import wraps

from django.conf import settings

from . import soft_cache
from .models import PublicDataVersion

# Browsers and shared caches cannot see a publish (the page cache can: its key changes at once), so
# they keep a public page a minute at most, and not at all when the page cache is switched off.
BROWSER_MAX_AGE = 60


def public_max_age() -> int:
    """Seconds a browser or shared cache may keep a public page (``Cache-Control: public, max-age``)."""
    return max(0, min(BROWSER_MAX_AGE, settings.PUBLIC_PAGE_CACHE_SECONDS))


def current_version() -> str:
    return PublicDataVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def bump() -> None:
    """Mark every cached public page as out of date (inside the caller's transaction)."""
    token = uuid.uuid4().hex
    if not PublicDataVersion.objects.filter(pk=1).update(token=token):
        PublicDataVersion.objects.update_or_create(pk=1, defaults={"token": token})


def _key(request, version: str) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:v{version}:{digest}"


def cached_public_page(view):
    """Serve anonymous GETs of a public page from the cache while the data version is unchanged.

    Only complete 200 responses are stored; staff (who may see draft banners) always get a fresh page.
    When the cache is down, every page is built from the database (``soft_cache``).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = _key(request, current_version())
        response = soft_cache.get(key)
        if response is soft_cache.MISSING:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                soft_cache.set(key, response, settings.PUBLIC_PAGE_CACHE_SECONDS)
        return response

    return wrapper
