"""The one shape of a staff bulk action: call a service on each selected object, say what happened.

Actions that change public data first ask for the public reason (``with_public_reason``): the
action answers with an intermediate page carrying the selected ids; its POST comes back to the
same action, which then applies it. An empty reason is an error on that page.

A refusal (``PermissionDenied`` or ``ValidationError`` from the service) is reported as an error
naming the object, and the other objects go on; the successes are reported once as a count, or
one message per object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from .admin_forms import PublicReasonForm

APPLY = "_apply_with_reason"  # the intermediate page's submit button: its POST applies the action


def error_text(exc: Exception) -> str:
    """A refusal's words, without the list brackets ``str(ValidationError)`` would add."""
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def run_service_action(
    modeladmin,
    request,
    objects: Iterable,
    call: Callable[[object], object],
    *,
    verb: str = "",
    done: Callable[[int], str] | None = None,
    each: Callable[[object], str] | None = None,
    name: Callable[[object], str] = str,
) -> int:
    """Run ``call(obj)`` for each object and report. Returns how many succeeded.

    With ``done`` the successes make one message, ``done(count) % {"count": count}`` (an ``ngettext``:
    "Published 2 commitments."); without it, one each, ``each(obj)`` ("Published “2026 Q3”."; by default
    ``verb`` and the object's name). ``name`` says which object an error is about.
    """
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except (PermissionDenied, ValidationError) as exc:
            modeladmin.message_user(request, f"{name(obj)}: {error_text(exc)}", messages.ERROR)
            continue
        succeeded += 1
        if done is None:
            modeladmin.message_user(request, each(obj) if each else f"{verb} “{obj}”.", messages.SUCCESS)
    if done is not None and succeeded:
        modeladmin.message_user(request, done(succeeded) % {"count": succeeded}, messages.SUCCESS)
    return succeeded


def with_public_reason(
    modeladmin,
    request,
    queryset,
    call: Callable[[object, str], object],
    *,
    action: str,
    title: str,
    done: Callable[[int], str],
    button: str,
    name: Callable[[object], str] = str,
    explanation: str = "",
):
    """Ask for the public reason, then run ``call(obj, reason)`` on each selected object.

    Returns the intermediate page (a ``TemplateResponse``) until a valid reason is posted back; then
    runs the action and returns None, so the admin redirects to the changelist with the messages.
    """
    form = PublicReasonForm(request.POST if APPLY in request.POST else None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        run_service_action(modeladmin, request, queryset, lambda obj: call(obj, reason), done=done, name=name)
        return None
    objects = list(queryset)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "explanation": explanation,
        "objects": [name(obj) for obj in objects],
        "selected": [obj.pk for obj in objects],
        "form": form,
        "action": action,
        "apply": APPLY,
        "button": button,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/commitments/reason_action.html", context)
