"""The public URL contract (see the product brief): change nothing here without a redirect."""

from django.urls import path

from . import exports, feeds, views

app_name = "commitments"

urlpatterns = [
    path("", views.home, name="home"),
    path("commitments/", views.commitment_list, name="list"),
    path("commitments/export.csv", exports.export_csv, name="export_csv"),
    path("commitments/export.json", exports.export_json, name="export_json"),
    path("commitments/export.schema.json", exports.commitments_schema, name="export_schema"),
    path("commitments/<slug:slug>/", views.commitment_detail, name="detail"),
    path("themes/", views.taxonomy_index, {"kind": "theme"}, name="themes"),
    path("countries/", views.taxonomy_index, {"kind": "country"}, name="countries"),
    path("actors/", views.taxonomy_index, {"kind": "actor"}, name="actors"),
    path("sources/", views.taxonomy_index, {"kind": "source"}, name="sources"),
    path("themes/<slug:slug>/", views.taxonomy_detail, {"kind": "theme"}, name="theme"),
    # Before the country pages: "matrix" is not a country's slug (those are ISO codes).
    path("countries/matrix/", views.compliance_matrix, name="matrix"),
    path("countries/matrix.csv", exports.export_matrix_csv, name="matrix_csv"),
    path("countries/<slug:slug>/", views.taxonomy_detail, {"kind": "country"}, name="country"),
    path("actors/<slug:slug>/", views.taxonomy_detail, {"kind": "actor"}, name="actor"),
    path("sources/<slug:slug>/", views.taxonomy_detail, {"kind": "source"}, name="source"),
    path("feeds/updates.atom", feeds.UpdatesFeed(), name="feed"),
    path("updates/", views.updates, name="updates"),
    path("updates/export.csv", exports.export_updates_csv, name="updates_export_csv"),
    path("updates/export.json", exports.export_updates_json, name="updates_export_json"),
    path("updates/export.schema.json", exports.updates_schema, name="updates_export_schema"),
    path("methodology/", views.methodology, name="methodology"),
    path("about/", views.about, name="about"),
    path("about/data/", views.data_documentation, name="data"),
]
