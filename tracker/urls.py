from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("reports/", include("commitments.report_urls")),
    path("", include("commitments.urls")),
]

handler400 = "commitments.views.handler400"
