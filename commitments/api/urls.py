"""``/api/v1/``: the public read API, its OpenAPI document and its documentation page.

Identifiers are taken as any text (``str``) and checked by the views, so that every address under /api/v1/
answers in JSON, a malformed one with the API's 404 rather than the site's HTML page.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"

urlpatterns = [
    path("commitments/", views.CommitmentList.as_view(), name="commitments"),
    path("commitments/<str:slug>/", views.CommitmentDetail.as_view(), name="commitment"),
    path("updates/", views.UpdateList.as_view(), name="updates"),
    path("updates/<str:pk>/", views.UpdateDetail.as_view(), name="update"),
    path("reports/", views.ReportList.as_view(), name="reports"),
    path("reports/<str:slug>/", views.ReportDetail.as_view(), name="report"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
for kind, plural in (("theme", "themes"), ("country", "countries"), ("actor", "actors"), ("source", "sources")):
    list_view, detail_view = views.ENTRY_VIEWS[kind]
    urlpatterns += [
        path(f"{plural}/", list_view.as_view(), name=plural),
        path(f"{plural}/<str:slug>/", detail_view.as_view(), name=kind),
    ]
# Any other address ending in a slash (one without is first redirected to it, APPEND_SLASH).
urlpatterns.append(re_path(r"^.*/$", views.not_found))
