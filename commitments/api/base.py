"""What every API view shares: anonymous GETs, the rate limit, and the ETag of the public data version.

The ETag is read before the view does any work: the public data version (one query, the one every cached
page reads first; ``cache.current_version``) with the address asked for. A client that sends it back in
``If-None-Match`` gets a 304 with no body and no further query. Any publish changes the version, so a 304
never hides a change. ``Cache-Control`` is the public pages' (``cache.public_max_age``).
"""

from __future__ import annotations

import hashlib

from django.utils.cache import parse_etags
from rest_framework.generics import GenericAPIView

from .. import cache
from .errors import NotModified


def etag_for(request) -> str:
    digest = hashlib.sha256(f"{cache.current_version()}\n{request.get_full_path()}".encode()).hexdigest()
    return f'"api-{digest[:32]}"'


def _matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110): the gzip middleware may have marked the ETag weak on its way out.
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(header))


class PublicReadView(GenericAPIView):
    """A read of the public record: GET (and HEAD) only."""

    http_method_names = ["get", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the rate limit first: a 304 counts as a request too
        if request.method in ("GET", "HEAD"):
            self.etag = etag_for(request)
            if _matches(request.headers.get("If-None-Match", ""), self.etag):
                raise NotModified()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        etag = getattr(self, "etag", None)
        if etag and response.status_code in (200, 304):
            response["ETag"] = etag
            response["Cache-Control"] = f"public, max-age={cache.public_max_age()}"
        return response
