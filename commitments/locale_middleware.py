"""Django's LocaleMiddleware without ``Vary: Accept-Language`` where the address alone says the language.

With ``i18n_patterns(prefix_default_language=False)`` an unprefixed page is always English and
``/ru/…`` always Russian, whatever the browser asks for; LocaleMiddleware still adds
``Vary: Accept-Language`` to the unprefixed responses, which only splits every shared cache's copy
of a page by each reader's language header. It is kept where the header can matter: addresses outside
``i18n_patterns`` (the API reads ``Accept-Language``) and addresses that resolve nowhere.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.urls import is_valid_path
from django.utils import translation
from django.utils.cache import cc_delim_re

_PREFIXED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _is_language_neutral_page(request) -> bool:
    """The unprefixed address of a page that also exists under a language prefix (so it is English)."""
    if not _PREFIXED or translation.get_language_from_path(request.path_info):
        return False
    urlconf = getattr(request, "urlconf", None)
    with translation.override(_PREFIXED[0]):
        return is_valid_path(f"/{_PREFIXED[0]}{request.path_info}", urlconf)


class PathLocaleMiddleware(LocaleMiddleware):
    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.has_header("Vary") and _is_language_neutral_page(request):
            kept = [v for v in cc_delim_re.split(response["Vary"]) if v.lower() != "accept-language"]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
