from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("conventions/<int:pk>/rapports/", views.report_list, name="reports"),
    path(
        "conventions/<int:pk>/rapports/demander/",
        views.report_request,
        name="report_request",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/",
        views.report_detail,
        name="report_detail",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/rapport.pdf",
        views.report_pdf,
        name="report_pdf",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/rapport.xlsx",
        views.report_xlsx,
        name="report_xlsx",
    ),
]
