"""Request ids and client addresses for logs and error pages; the headers every response carries;
the admin's relaxed Content Security Policy."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.middleware.gzip import GZipMiddleware

from .client_ip import client_ip

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="-")
# What a proxy's id looks like: nginx's $request_id (32 hex digits) or a UUID. Anything else, and
# any id at all when no trusted proxy sets it, is replaced: the id is quoted on the 500 page and
# searched for in the log, so a client must not choose it (nor fill the log with look-alikes).
_PROXY_REQUEST_ID = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def _request_id_of(request) -> str:
    incoming = request.headers.get("X-Request-ID", "")
    if settings.PROXY_COUNT > 0 and _PROXY_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id (the trusted proxy's ``X-Request-ID`` if well-formed, else a new one)
    and its client address (``request.client_ip``, see ``client_ip.py``).

    The id is sent back in the ``X-Request-ID`` header, written with the client address into every
    log line of the request, and shown on the 500 page, so a reader's report can be matched to the log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = _request_id_of(request)
        request.client_ip = client_ip(request)
        id_token = _request_id.set(request.id)
        ip_token = _client_ip.set(request.client_ip or "-")
        try:
            response = self.get_response(request)
        finally:
            _client_ip.reset(ip_token)
            _request_id.reset(id_token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and ``client_ip`` to every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.client_ip = _client_ip.get()
        return True


# Browser features the site never uses (it has no scripts, frames, media or payments), denied to
# the page and to anything it could be made to embed. interest-cohort and browsing-topics opt the
# site out of ad-interest tracking; browsers ignore names they do not know.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "fullscreen", "gamepad", "geolocation", "gyroscope", "hid", "idle-detection",
        "interest-cohort", "local-fonts", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "sync-xhr",
        "usb", "web-share", "xr-spatial-tracking",
    )
)


class ResponseHeadersMiddleware:
    """``Permissions-Policy`` on every response, and a ``Cache-Control`` on every response without one.

    Public: an anonymous reader's successful GET of any page outside the admin that sets no cookie,
    kept for ``cache.public_max_age()`` seconds by browsers and shared caches. Everything else is
    ``private`` (a signed-in person's pages, errors, POSTs), and the admin ``private, no-store``.
    A view's own ``Cache-Control`` (``never_cache`` on /healthz and the admin, WhiteNoise's on static
    files) is left alone. Placed outside the session and auth middleware, so it sees their cookies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "Cache-Control" not in response:
            response["Cache-Control"] = _cache_control(request, response)
        return response


def _cache_control(request, response) -> str:
    from .cache import public_max_age  # not at import: logging loads this module before the models

    if request.path.startswith("/admin/"):
        return "private, no-store"
    user = getattr(request, "user", None)
    anonymous = user is not None and not user.is_authenticated
    if anonymous and request.method in ("GET", "HEAD") and response.status_code == 200 and not response.cookies:
        return f"public, max-age={public_max_age()}"
    return "private"


class AdminCSPMiddleware:
    """The admin's widgets use inline style attributes; allow those there, and only there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response


# What is compressed: pages and XML documents (sitemap, feed), not the streamed exports (their
# deliberate mid-stream abort must reach the client as it is) nor static files (WhiteNoise's own).
# The read API's JSON too: it sets no cookie and reads no secret (no session, no CSRF token).
_COMPRESSED_TYPES = ("text/html", "application/xml", "application/atom+xml", "text/xml", "application/json",
                     "application/vnd.oai.openapi+json")


class PublicGZipMiddleware(GZipMiddleware):
    """gzip for public pages only, against BREACH: compression leaks a secret in a body that also reflects
    the reader's input (``q`` is echoed), so nothing with a secret in it is compressed — no admin page, no
    response that used a CSRF token or sets a cookie, no signed-in reader's page, nothing but GET and HEAD."""

    def process_response(self, request, response):
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD")
            or request.path.startswith("/admin/")
            or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            or response.cookies
            or (user is not None and user.is_authenticated)
            or response.streaming
            or not response.get("Content-Type", "").startswith(_COMPRESSED_TYPES)
        ):
            return response
        return super().process_response(request, response)
