"""The site mounted under another prefix: links built from the URL configuration follow it, literals do not."""

from django.urls import include, path

urlpatterns = [
    path("elsewhere/reports/", include("commitments.reports.urls")),
    path("elsewhere/", include("commitments.urls")),
]
