"""Which rows still need a translation into a language: one rule, in Python and in SQL, side by side.

A row needs a translation into ``lang`` when a translated field (``TRANSLATED_FIELDS``) has a text
in the default language but none in ``lang``, or when its quote is in another language than
``lang`` and has no translation into it (a commitment's English quote needs ``quote_translation_ru``
for the Russian page). "A text" means at least one character that is not white space (``\\S``), in
both forms: ``needs`` reads an object, ``needs_q`` filters a queryset (the admin's "Needs
translation" filter); ``tests/test_translations_content.py`` runs both over the same rows.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from .languages import column, translated_fields

HAS_TEXT = r"\S"  # Python's re and PostgreSQL's regular expressions (and Django's on SQLite) read it alike
_HAS_TEXT = re.compile(HAS_TEXT)


def has_quote(model: type[models.Model]) -> bool:
    """Whether the model keeps a verbatim quote with its translations (commitment, evidence)."""
    return any(field.name == "quote_language" for field in model._meta.get_fields())


# --- Python ------------------------------------------------------------------------------------------


def _text(value) -> bool:
    return bool(_HAS_TEXT.search(value or ""))


def missing(obj: models.Model, lang: str) -> list[str]:
    """The fields of ``obj`` that lack their ``lang`` text: translated fields, and ``quote`` for its translation."""
    out = [
        name for name in translated_fields(type(obj))
        if _text(getattr(obj, name, "")) and not _text(getattr(obj, column(name, lang), ""))
    ]
    if (has_quote(type(obj)) and _text(obj.quote) and obj.quote_language != lang
            and not _text(getattr(obj, f"quote_translation_{lang}"))):
        out.append("quote")
    return out


def needs(obj: models.Model, lang: str) -> bool:
    return bool(missing(obj, lang))


# --- SQL ---------------------------------------------------------------------------------------------


def _text_q(name: str) -> Q:
    return Q(**{f"{name}__regex": HAS_TEXT})


def needs_q(model: type[models.Model], lang: str) -> Q:
    """``needs`` as a condition on ``model``'s rows (never true for a model with nothing to translate)."""
    parts = [_text_q(name) & ~_text_q(column(name, lang)) for name in translated_fields(model)]
    if has_quote(model):
        parts.append(_text_q("quote") & ~Q(quote_language=lang) & ~_text_q(f"quote_translation_{lang}"))
    return reduce(or_, parts, Q(pk__in=[]))
