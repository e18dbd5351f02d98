"""The one shape of a staff bulk action: call a service on each selected object, say what happened.

A refusal (``PermissionDenied`` or ``ValidationError`` from the service) is reported as an error
naming the object, and the other objects go on; the successes are reported once as a count, or
one message per object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError


def error_text(exc: Exception) -> str:
    """A refusal's words, without the list brackets ``str(ValidationError)`` would add."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def run_service_action(
    modeladmin,
    request,
    objects: Iterable,
    call: Callable[[object], object],
    *,
    verb: str,
    noun: str | None = None,
    name: Callable[[object], str] = str,
) -> int:
    """Run ``call(obj)`` for each object and report. Returns how many succeeded.

    With ``noun`` the successes make one message ("Published 2 commitments."); without it, one
    each ("Published “2026 Q3”."). ``name`` says which object an error is about.
    """
    done = 0
    for obj in objects:
        try:
            call(obj)
        except (PermissionDenied, ValidationError) as exc:
            modeladmin.message_user(request, f"{name(obj)}: {error_text(exc)}", messages.ERROR)
            continue
        done += 1
        if noun is None:
            modeladmin.message_user(request, f"{verb} “{obj}”.", messages.SUCCESS)
    if noun is not None and done:
        modeladmin.message_user(request, f"{verb} {done} {noun}{'s' if done != 1 else ''}.", messages.SUCCESS)
    return done
