from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<slug:slug>.pdf", views.report_pdf, name="pdf"),
    path("<slug:slug>.csv", views.report_csv, name="csv"),
    path("<slug:slug>/", views.report_detail, name="detail"),
]
