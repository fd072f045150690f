from django.urls import path

from . import views

app_name = "diagnostics"

urlpatterns = [
    path("conventions/<int:pk>/diagnostic/", views.diagnostic_detail, name="detail"),
    path("conventions/<int:pk>/diagnostic/modifier/", views.diagnostic_edit, name="edit"),
    path(
        "conventions/<int:pk>/diagnostic/constats/ajouter/",
        views.finding_create,
        name="finding_create",
    ),
    path(
        "conventions/<int:pk>/diagnostic/constats/<int:finding_pk>/modifier/",
        views.finding_edit,
        name="finding_edit",
    ),
    path(
        "conventions/<int:pk>/diagnostic/constats/<int:finding_pk>/supprimer/",
        views.finding_delete,
        name="finding_delete",
    ),
    path(
        "conventions/<int:pk>/diagnostic/statistiques/",
        views.statistics_manage,
        name="statistics",
    ),
    path(
        "conventions/<int:pk>/diagnostic/statistiques/<int:statistic_pk>/supprimer/",
        views.statistic_delete,
        name="statistic_delete",
    ),
    path(
        "conventions/<int:pk>/diagnostic/statistiques/importer/",
        views.statistics_import,
        name="statistics_import",
    ),
    path(
        "conventions/<int:pk>/diagnostic/statistiques/modele.csv",
        views.statistics_template,
        name="statistics_template",
    ),
    # The Cafdata import (cafdata_upload, cafdata_confirm) feeds the indicators too: its
    # pages are evaluation's (evaluation/urls_opendata.py), added to this namespace by the
    # project's URL conf (portal/urls.py).
]
