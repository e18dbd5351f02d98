"""The client's address: the one function the sign-in lockout, the log and any rate limit use.

``PROXY_COUNT`` says how many trusted reverse proxies stand in front of the app. Each appends the
address it received the request from to ``X-Forwarded-For``, so with ``PROXY_COUNT=N`` the client
is the N-th address from the right; anything left of it was written by the client and is ignored.
With ``PROXY_COUNT=0`` (the default) the header is ignored altogether and the client is the
connection's peer, ``REMOTE_ADDR``: without a proxy that overwrites it, anyone can forge it.

The header is read by django-ipware rather than by hand (it skips malformed entries, ports and
brackets). ipware counts the proxies *inside* the header (``client, proxy1, …``), the address of
the proxy nearest the app being ``REMOTE_ADDR``; hence ``proxy_count=PROXY_COUNT - 1`` below.
"""

from __future__ import annotations

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str | None:
    """The client address of ``request``, as ``PROXY_COUNT`` says to find it (None if there is none)."""
    remote_addr = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,  # a forged prefix may hold any junk or any number of entries; only the right end counts
    )
    # No usable header (a request that bypassed the proxy, e.g. a health probe): the peer itself.
    return address or remote_addr
