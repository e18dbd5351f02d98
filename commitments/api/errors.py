"""The API's error bodies: one shape for a bad parameter (400), one for everything else.

A bad parameter names itself, says what was wrong, and gives its valid values (or, for a slug, where
the valid ones are listed), so a client can correct the request without reading the documentation.
"""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

INVALID = "Invalid parameters: see errors."


class ParameterError(APIException):
    """400: ``errors`` is a list of {parameter, messages, valid_values?, valid_values_url?}."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = INVALID

    def __init__(self, errors: list[dict]):
        super().__init__(INVALID)
        self.errors = errors


def parameter_error(name: str, message: str, *, valid: list[str] | None = None, url: str | None = None) -> dict:
    error: dict = {"parameter": name, "messages": [message]}
    if valid is not None:
        error["valid_values"] = valid
    if url is not None:
        error["valid_values_url"] = url
    return error


class NotModified(APIException):
    """304: the client's ``If-None-Match`` names the current representation (no body)."""

    status_code = status.HTTP_304_NOT_MODIFIED
    default_detail = ""


def exception_handler(exc, context):
    if isinstance(exc, NotModified):
        return Response(status=status.HTTP_304_NOT_MODIFIED)
    if isinstance(exc, ParameterError):
        return Response({"detail": INVALID, "errors": exc.errors}, status=exc.status_code)
    return drf_exception_handler(exc, context)
