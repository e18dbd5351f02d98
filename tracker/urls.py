from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import never_cache

from commitments import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", never_cache(views.healthz), name="healthz"),
    path("reports/", include("commitments.reports.urls")),
    path("", include("commitments.urls")),
]

handler400 = "commitments.views.handler400"
handler500 = "commitments.views.handler500"
