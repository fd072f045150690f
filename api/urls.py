"""/api/v1/ (the read API, its schema and documentation) and the profile page of the
personal API tokens."""

from django.urls import path, re_path

from . import docs, profile_views, views

app_name = "api"

urlpatterns = [
    path("api/v1/conventions/", views.ConventionList.as_view(), name="conventions"),
    path("api/v1/conventions/<int:pk>/", views.ConventionDetail.as_view(), name="convention"),
    path("api/v1/diagnostics/", views.DiagnosticList.as_view(), name="diagnostics"),
    path("api/v1/diagnostics/<int:pk>/", views.DiagnosticDetail.as_view(), name="diagnostic"),
    path("api/v1/objectives/", views.ObjectiveList.as_view(), name="objectives"),
    path("api/v1/objectives/<int:pk>/", views.ObjectiveDetail.as_view(), name="objective"),
    path("api/v1/fiches/", views.SheetList.as_view(), name="sheets"),
    path("api/v1/fiches/<int:pk>/", views.SheetDetail.as_view(), name="sheet"),
    path("api/v1/indicators/", views.IndicatorList.as_view(), name="indicators"),
    path("api/v1/indicators/<int:pk>/", views.IndicatorDetail.as_view(), name="indicator"),
    path("api/v1/measurements/", views.MeasurementList.as_view(), name="measurements"),
    path("api/v1/measurements/<int:pk>/", views.MeasurementDetail.as_view(), name="measurement"),
    path("api/v1/reports/", views.ReportList.as_view(), name="reports"),
    path("api/v1/reports/<int:pk>/", views.ReportDetail.as_view(), name="report"),
    path("api/v1/reports/<int:pk>/pdf/", views.ReportPdf.as_view(), name="report_pdf"),
    path("api/v1/reports/<int:pk>/xlsx/", views.ReportXlsx.as_view(), name="report_xlsx"),
    path("api/v1/schema/", docs.schema, name="schema"),
    path("api/v1/docs/", docs.docs, name="docs"),
    # Last of /api/v1/: an address (ending with a slash, others get the slash added first)
    # that matched none of the above.
    re_path(r"^api/v1/(?:.*/)?$", views.UnknownAddress.as_view(), name="unknown"),
    path("profil/jetons/", profile_views.tokens, name="tokens"),
    path(
        "profil/jetons/<int:token_id>/revoquer/",
        profile_views.token_revoke,
        name="token_revoke",
    ),
]
