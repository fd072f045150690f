"""The Cafdata import pages: in the convention's Diagnostic tab and named in the
``diagnostics`` namespace (``diagnostics:cafdata_upload``, ``diagnostics:cafdata_confirm``),
served by :mod:`evaluation.opendata_views` because the import feeds the bound indicators.
The project's URL conf (``portal.urls``) adds these patterns to the diagnostics ones."""

from django.urls import path

from . import opendata_views

urlpatterns = [
    path(
        "conventions/<int:pk>/diagnostic/statistiques/cafdata/",
        opendata_views.opendata_upload,
        name="cafdata_upload",
    ),
    path(
        "conventions/<int:pk>/diagnostic/statistiques/cafdata/confirmer/",
        opendata_views.opendata_confirm,
        name="cafdata_confirm",
    ),
]
