"""sitemap.xml: every public page, from the same ``public()`` / ``published()`` reads the pages use.

Drafts and archived commitments never appear; nor do taxonomy entries only drafts use, nor draft reports.
Commitments are a section of their own (Django splits a section past 50,000 URLs into pages the index lists).
Every page is listed in each of the site's languages (English unprefixed, Russian under /ru/), each entry
with its ``hreflang`` alternates and an ``x-default`` (the English page).
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Commitment, ProgressReport
from .taxonomy import TAXONOMY_FACETS

# The public pages that are not one record: the overview, the list, the index pages, the matrix, …
STATIC_PAGES = (
    "commitments:home", "commitments:list", "commitments:themes", "commitments:countries",
    "commitments:actors", "commitments:sources", "commitments:matrix", "commitments:updates",
    "commitments:about", "commitments:data", "commitments:methodology", "reports:list",
)


class LanguagesSitemap(Sitemap):
    """A page per language (``location`` is reversed with each language active), with its alternates."""

    i18n = True
    alternates = True
    x_default = True


class PagesSitemap(LanguagesSitemap):
    def items(self):
        return list(STATIC_PAGES)

    def location(self, item: str) -> str:
        return reverse(item)


class CommitmentSitemap(LanguagesSitemap):
    def items(self):
        return Commitment.objects.public().order_by("pk").only("slug")

    def location(self, item) -> str:
        return item.get_absolute_url()


class TaxonomySitemap(LanguagesSitemap):
    def __init__(self, kind: str):
        self.taxonomy = TAXONOMY_FACETS[kind]

    def items(self):
        return self.taxonomy.public().order_by("pk").only("slug")

    def location(self, item) -> str:
        return reverse(self.taxonomy.url_name, args=[item.slug])


class ReportSitemap(LanguagesSitemap):
    def items(self):
        return ProgressReport.objects.published().order_by("pk").only("slug")

    def location(self, item) -> str:
        return item.get_absolute_url()


SITEMAPS = {
    "pages": PagesSitemap,
    "commitments": CommitmentSitemap,
    **{kind: TaxonomySitemap(kind) for kind in TAXONOMY_FACETS},
    "reports": ReportSitemap,
}
