from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import never_cache

from commitments import views
from commitments.sitemaps import SITEMAPS

urlpatterns = [
    path("healthz", never_cache(views.healthz), name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
         name="sitemap"),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap_section"),
    # The API keeps one address per resource in every language: it takes ?lang= or Accept-Language.
    path("api/v1/", include("commitments.api.urls")),
]

# English at the unprefixed addresses (the public URL contract), Russian under /ru/, and so on.
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("reports/", include("commitments.reports.urls")),
    path("", include("commitments.urls")),
    prefix_default_language=False,
)

handler400 = "commitments.views.handler400"
handler500 = "commitments.views.handler500"
