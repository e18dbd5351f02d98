"""What every API view shares: anonymous GETs, the rate limit, and the ETag of the public data version.

The ETag is read before the view does any work: the public data version (one query, the one every cached
page reads first; ``cache.current_version``) with the address asked for. A client that sends it back in
``If-None-Match`` gets a 304 with no body and no further query. Any publish changes the version, so a 304
never hides a change. ``Cache-Control`` is the public pages' (``cache.public_max_age``).

The language (``?lang``, else ``Accept-Language``: ``exports.language.for_api``) is read first too: a refused
``lang`` is a 400; it is part of the ETag (the same address gives other fields in another language), and every
response says ``Vary: Accept-Language`` and its ``Content-Language`` (``en``, or ``en, ru`` when it adds the
Russian fields to the English ones).
"""

from __future__ import annotations

import hashlib

from django.utils.cache import parse_etags, patch_vary_headers
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView

from .. import cache
from ..exports import language
from .errors import NotModified, ParameterError, parameter_error
from .records import Others


def etag_for(request, lang: str = language.languages.DEFAULT) -> str:
    digest = hashlib.sha256(f"{cache.current_version()}\n{request.get_full_path()}\n{lang}".encode()).hexdigest()
    return f'"api-{digest[:32]}"'


def _matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110): the gzip middleware may have marked the ETag weak on its way out.
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in parse_etags(header))


LANG_PARAMETER = OpenApiParameter(
    language.PARAMETER, str, enum=list(language.CODES), required=False,
    description=("Add the texts in this language beside the English ones, each under the English field's name with "
                 "the language's code (`title_ru` beside `title`), empty where there is no translation; `en` adds "
                 "nothing. Without it, the request's `Accept-Language` decides (English when it names no language "
                 "of the site); an explicit `lang` wins. Any other value is a 400. Every response says "
                 "`Vary: Accept-Language` and its `Content-Language` (`en`, or `en, ru` with the Russian fields)."))


class LanguageSchema(AutoSchema):
    """Every operation of the API takes ``lang``."""

    def get_override_parameters(self):
        return [*super().get_override_parameters(), LANG_PARAMETER]


class PublicReadView(GenericAPIView):
    """A read of the public record: GET (and HEAD) only."""

    http_method_names = ["get", "head", "options"]
    schema = LanguageSchema()

    lang = language.languages.DEFAULT

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the rate limit first: a 304 counts as a request too
        try:
            self.lang = language.for_api(request)
        except language.LanguageError as error:
            raise ParameterError([parameter_error(language.PARAMETER, message, valid=list(language.CODES))
                                  for message in error.messages]) from None
        self.others = Others(language.others(self.lang))
        if request.method in ("GET", "HEAD"):
            self.etag = etag_for(request, self.lang)
            if _matches(request.headers.get("If-None-Match", ""), self.etag):
                raise NotModified()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        etag = getattr(self, "etag", None)
        if etag and response.status_code in (200, 304):
            response["ETag"] = etag
            response["Cache-Control"] = f"public, max-age={cache.public_max_age()}"
        if response.status_code in (200, 304):
            response["Content-Language"] = language.content_language(self.lang)
        patch_vary_headers(response, ["Accept-Language"])
        return response
