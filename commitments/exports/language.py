"""Which other language an export or an API response adds, beside the English it always holds.

The public parameter ``lang`` (one of ``settings.LANGUAGES``' codes) is declared here, once, and read by the
exports (``/commitments/export.csv|json``, ``/updates/export.csv|json``) and the API. ``lang=ru`` *adds* the
Russian texts as columns or fields of their own (``title_ru`` beside ``title``: the column names of the models,
``languages.column``) and never removes or renames an English one; ``lang=en`` adds nothing. A value that is
not a language code is a 400 naming the valid ones.

Without ``lang``:
- an export follows its address, as every page of the site does: ``/ru/commitments/export.csv`` adds the
  Russian columns, ``/commitments/export.csv`` does not, whatever the browser's ``Accept-Language``. A file's
  columns then depend on its URL alone, so a link that is passed on, the ``meta.url`` a citation gives, and any
  cache keyed on the URL always give the same columns;
- the API, whose addresses have no language (``/api/v1/…`` in every language), reads ``Accept-Language``
  (its best supported language; English when it names none) and says ``Vary: Accept-Language``.
An explicit ``lang`` always wins.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

from .. import languages

PARAMETER = "lang"
CODES = languages.CODES
INVALID = "“%(value)s” is not a language of this site: use one of " + ", ".join(CODES) + "."


class LanguageForm(forms.Form):
    """The ``lang`` parameter (the only field: the list's filters are ``CommitmentFilterSet``'s)."""

    lang = forms.ChoiceField(
        choices=settings.LANGUAGES, required=False, label="Language",
        help_text="Add the texts in this language (e.g. ru: title_ru beside title); English is always there.",
        error_messages={"invalid_choice": INVALID},
    )


class LanguageError(ValueError):
    """A refused ``lang``: its messages, for the 400."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def asked(query) -> str | None:
    """The ``lang`` of the query string if it has one (``None`` if not); a refused one raises ``LanguageError``."""
    values = query.getlist(PARAMETER)
    if not any(values):
        return None
    if len(values) > 1:
        raise LanguageError([f"Give {PARAMETER} once."])
    form = LanguageForm(query)
    if not form.is_valid():
        raise LanguageError([str(m) for m in form.errors[PARAMETER]])
    return form.cleaned_data[PARAMETER]


def for_export(request) -> str:
    """An export's language: ``?lang``, else its address's (the active language, set from the URL's prefix)."""
    return asked(request.GET) or languages.active()


def from_accept_language(header: str) -> str:
    """The best of the site's languages ``Accept-Language`` names (the default when it names none)."""
    for code, _ in trans_real.parse_accept_lang_header(header or ""):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code).split("-")[0]
        except LookupError:
            continue
    return languages.DEFAULT


def for_api(request) -> str:
    """The API's language: ``?lang``, else ``Accept-Language``."""
    return asked(request.GET) or from_accept_language(request.headers.get("Accept-Language", ""))


def others(lang: str) -> tuple[str, ...]:
    """The languages whose columns a response in ``lang`` adds (none for the default language)."""
    return () if lang == languages.DEFAULT else (lang,)


def content_language(lang: str) -> str:
    """The ``Content-Language`` of a response that adds ``lang``'s texts to the English ones: both, as it holds both."""
    return ", ".join((languages.DEFAULT, *others(lang)))
