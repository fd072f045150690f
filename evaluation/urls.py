from django.urls import path

from . import report_views, views
from .urls_follow import urlpatterns as follow_urlpatterns

app_name = "evaluation"

urlpatterns = [
    path("conventions/<int:pk>/evaluation/", views.overview, name="overview"),
    path("conventions/<int:pk>/rapports/", report_views.report_list, name="reports"),
    path(
        "conventions/<int:pk>/rapports/demander/",
        report_views.report_request,
        name="report_request",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/",
        report_views.report_detail,
        name="report_detail",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/rapport.pdf",
        report_views.report_pdf,
        name="report_pdf",
    ),
    path(
        "conventions/<int:pk>/rapports/<int:report_pk>/rapport.xlsx",
        report_views.report_xlsx,
        name="report_xlsx",
    ),
]

# Follow-up pages: indicators, measurements, qualitative follow-up, portfolio.
urlpatterns += follow_urlpatterns
