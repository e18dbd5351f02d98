from django.urls import path

from . import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.report_list, name="list"),
    path("<slug:slug>.pdf", report_views.report_pdf, name="pdf"),
    path("<slug:slug>.csv", report_views.report_csv, name="csv"),
    path("<slug:slug>/", report_views.report_detail, name="detail"),
]
