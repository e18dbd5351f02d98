"""The site's languages, and the columns that hold each translated text in each language.

The default language (English) stays in the field itself (``title``); every other language of
``settings.LANGUAGES`` has its own column beside it (``title_ru``), declared in the model's class
body with ``per_language``. So adding Kazakh is a settings line, ``makemigrations`` (the ``_kk``
columns), a ``.po`` file and the texts in the admin.

Why not django-modeltranslation or django-parler (README, "Languages"): modeltranslation keeps this
same layout (a column per language) but patches every manager to rewrite ``filter``/``order_by``/
``values`` on a translated field to the active language's column, without fallback, and writes the
active language into the original column on save; parler moves the texts into a joined table, which
the list and its indexes at 100k would pay for on every page. Here the English columns, their
indexes, the search triggers and every existing query stay as they were, and the other languages
are read only where a page, an export or the API asks for them (``localized``).

A quote is never translated in place: ``quote`` keeps the verbatim original (in ``quote_language``),
and ``quote_translation_<code>`` holds a translation with its provenance
(``quote_translation_source_<code>``: official, the tracker's own, or machine-made; and for an official
one, ``quote_translation_url_<code>``). These exist for every language, the default included, since
an original may be in Russian.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf, Trim
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

DEFAULT: str = settings.LANGUAGE_CODE
CODES: tuple[str, ...] = tuple(code for code, _ in settings.LANGUAGES)
OTHERS: tuple[str, ...] = tuple(code for code in CODES if code != DEFAULT)
NAMES: dict[str, str] = dict(settings.LANGUAGES)

if DEFAULT not in CODES:  # fail closed: every default text would be "missing"
    raise ValueError(f"LANGUAGE_CODE {DEFAULT!r} is not one of LANGUAGES {CODES}.")


class TranslationSource(models.TextChoices):
    """Who made a translation of a quote: shown beside it, so a reader knows what they are reading."""

    OFFICIAL = "official", _("Official translation")
    TRACKER = "tracker", _("The tracker's own translation (unofficial)")
    MACHINE = "machine", _("Machine translation by the tracker (unofficial, not reviewed by a native speaker)")


def column(name: str, lang: str) -> str:
    """The attribute that holds field ``name`` in ``lang``: the field itself for the default language."""
    return name if lang == DEFAULT else f"{name}_{lang}"


def per_language(
    name: str, field: models.Field, *, codes: Iterable[str] = OTHERS, label=None
) -> dict[str, models.Field]:
    """Copies of ``field`` named ``<name>_<code>``, one per language in ``codes``, for a model's class body::

        title = models.CharField(max_length=200)
        locals().update(per_language("title", models.CharField(max_length=200, blank=True)))

    The copies are optional (blank, empty by default): a missing translation falls back to the default language.
    Each is labelled "<label> (<language>)" in the admin: ``label``, else the field's verbose name, else its name.
    """
    _name, _path, args, kwargs = field.deconstruct()
    # Empty by default, in the database too: rows written by raw SQL (the demo generator, the search
    # triggers' tables) need no value for a language they do not have.
    empty = b"" if isinstance(field, models.BinaryField) else ""
    kwargs.update(blank=True, default=empty, db_default=empty)
    # The field's own verbose name, else its name, which a model's field of that name has made a message id.
    shown = label or field.verbose_name or _(name.replace("_", " "))
    return {
        f"{name}_{code}": type(field)(*args, **{**kwargs, "verbose_name": format_lazy("{} ({})", shown,
                                                                                        language_name(code))})
        for code in codes
    }


def translation_source_fields() -> dict[str, models.Field]:
    """Per other language, who made a record's translated texts: shown with them, so a machine-made
    translation is never passed off as the tracker's own or an official one."""
    return per_language("translation_source", models.CharField(
        _("translated by"), max_length=10, choices=TranslationSource.choices,
        help_text=_("Who made this record's texts in this language (a quote's translation says its own)."),
    ))


def language_name(code: str):
    """The language's English name, translated by Django's own catalogue ("Russian", "русский"); the
    settings' native name for a language Django does not know."""
    if code in LANG_INFO:
        return _(LANG_INFO[code]["name"])
    return NAMES[code]


def active() -> str:
    """The active language's code, one of CODES (the default outside a request)."""
    lang = (translation.get_language() or DEFAULT).split("-")[0]
    return lang if lang in CODES else DEFAULT


def localized(obj: object, name: str, lang: str | None = None) -> tuple[str, str]:
    """``obj.<name>`` in ``lang`` (default: the active language) and the language the text is really in.

    Falls back to the default language where the translation is empty, so a page can mark that text
    with ``lang="en"``.
    """
    lang = lang or active()
    if lang != DEFAULT:
        value = getattr(obj, column(name, lang), "") or ""
        if value.strip():
            return value, lang
    return getattr(obj, name, "") or "", DEFAULT


def localized_sql(name: str, lang: str | None = None) -> F | Coalesce:
    """``localized``'s text as SQL, for an ORDER BY: the ``lang`` column where it holds more than spaces, else the
    default language's field. (SQL's TRIM drops spaces only, where ``str.strip`` drops tabs and newlines too; the
    admin's forms strip every text on save.) The default language: the field itself, so its indexes serve."""
    lang = lang or active()
    if lang == DEFAULT:
        return F(name)
    return Coalesce(NullIf(Trim(column(name, lang)), Value("")), F(name))


def translated_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The translated fields a model declares in ``TRANSLATED_FIELDS`` (none when it declares none)."""
    return tuple(getattr(model, "TRANSLATED_FIELDS", ()))


def missing(obj: object, lang: str) -> list[str]:
    """The translated fields of ``obj`` with a default-language text but none in ``lang``."""
    return [
        name for name in translated_fields(type(obj))
        if (getattr(obj, name, "") or "").strip() and not (getattr(obj, column(name, lang), "") or "").strip()
    ]
