"""The admin's side of translated content: both languages side by side, and a "Needs translation" filter.

``SideBySideTranslations`` goes on a ModelAdmin or an inline of a model with ``TRANSLATED_FIELDS``:
wherever its fieldsets name a translated field (``title``), the field's column in each other language
(``title_ru``) joins it on the same row, so staff read the original while they write the translation.
A model with a verbatim quote gets the quote's language beside the quote and a fieldset "Translations
of the quote": per language, the translation, who made it and (official only) the address of the
official text. The model's ``clean`` (``models.clean_quote_translations``) judges them, so its errors
land on these fields and the form keeps what was typed.

``NeedsTranslationFilter`` lists rows by ``translation_status.needs_q`` ("Russian: missing" /
"Russian: complete", one pair per language besides the default).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from . import translation_status
from .languages import CODES, DEFAULT, OTHERS, column, translated_fields

QUOTE_TRANSLATIONS = _("Translations of the quote")
QUOTE_TRANSLATIONS_HELP = _(
    "The quote above stays as the source gives it, in its own language; a translation is shown beside it on "
    "pages in another language, with who made it. Leave the row of the quote's own language empty. An "
    "official translation needs the address of the official text; only an official one has an address."
)
TRANSLATED_CLASS = "translated-text"  # admin-translations.css lays these out side by side


def columns(name: str) -> tuple[str, ...]:
    """The columns of translated field ``name`` in the languages besides the default (``title_ru``)."""
    return tuple(column(name, code) for code in OTHERS)


def quote_translation_rows(codes=CODES) -> list:
    """Per language: the translation on a row of its own, then who made it beside the official text's address."""
    return [row for c in codes
            for row in (f"quote_translation_{c}", (f"quote_translation_source_{c}", f"quote_translation_url_{c}"))]


def _language_of(model, name: str) -> str | None:
    """The language of a translated field or one of its columns (None for any other field)."""
    for original in translated_fields(model):
        for code in CODES:
            if name == column(original, code):
                return code
    for code in CODES:
        if name == f"quote_translation_{code}":
            return code
    return "" if name == "quote" else None  # a quote's language is its own (``quote_language``)


def side_by_side(model, fieldsets) -> list:
    """``fieldsets`` with each translated field's columns on its row, and the quote's translations grouped."""
    originals = set(translated_fields(model))
    translations = {name for original in originals for name in columns(original)}
    quoted = translation_status.has_quote(model)
    quote_fields = {name for row in quote_translation_rows() for name in (row if isinstance(row, tuple) else (row,))
                    if quoted}
    named = {name for _, options in fieldsets for item in options.get("fields", ())
             for name in (item if isinstance(item, list | tuple) else (item,))}
    out = []
    for title, options in fieldsets:
        rows = []
        for item in options.get("fields", ()):
            names = list(item) if isinstance(item, list | tuple) else [item]
            names = [n for n in names if n not in translations and n not in quote_fields
                     and not (n == "quote_language" and quoted)]
            if not names:
                continue
            widened = []
            for name in names:
                widened.append(name)
                if name in originals:
                    widened.extend(columns(name))
            rows.append(tuple(widened) if len(widened) > 1 else widened[0])
            if quoted and "quote" in names:
                rows.append("quote_language")
        out.append((title, {**options, "fields": rows}))
    if quoted and "quote" in named:
        out.append((QUOTE_TRANSLATIONS, {"fields": quote_translation_rows(), "description": QUOTE_TRANSLATIONS_HELP,
                                         "classes": ["quote-translations"]}))
    return out


class SideBySideTranslations:
    """Admin mixin (ModelAdmin or inline): translated fields and their columns side by side (``side_by_side``)."""

    class Media:
        css = {"all": ["css/admin-translations.css"]}

    def get_fieldsets(self, request, obj=None):
        return side_by_side(self.model, super().get_fieldsets(request, obj))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name == "quote_language":
            # A form posted without it (an older form, a script) keeps the default, as the model does.
            field.required, field.empty_value = False, db_field.get_default()
        lang = _language_of(self.model, db_field.name)
        if field is not None and lang is not None:
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {TRANSLATED_CLASS}".strip()
            if lang:  # what staff type is in this language (spell-checking, screen readers)
                field.widget.attrs["lang"] = lang
        return field


class NeedsTranslationFilter(admin.SimpleListFilter):
    """Rows with a default-language text and no translation into a language (``translation_status``)."""

    title = _("needs translation")
    parameter_name = "translation"

    def lookups(self, request, model_admin):
        out = []
        for code in OTHERS:
            name = get_language_info(code)["name_translated"]
            out += [(f"{code}-missing", _gettext("%(language)s: missing") % {"language": name}),
                    (f"{code}-complete", _gettext("%(language)s: complete") % {"language": name})]
        return out

    def queryset(self, request, queryset):
        code, _, which = (self.value() or "").partition("-")
        if code not in OTHERS or code == DEFAULT or which not in ("missing", "complete"):
            return queryset
        condition = translation_status.needs_q(queryset.model, code)
        return queryset.filter(condition) if which == "missing" else queryset.exclude(condition)
