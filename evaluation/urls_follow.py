"""Routes of the follow-up pages (indicators, measurements, workbook, qualitative
follow-up, territory comparison, portfolio); included by :mod:`evaluation.urls`."""

from django.urls import path

from . import follow_views, indicator_views, lock_views

urlpatterns = [
    path(
        "conventions/<int:pk>/evaluation/indicateurs/<int:indicator_pk>/",
        indicator_views.indicator_detail,
        name="indicator",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures.xlsx",
        indicator_views.workbook_download,
        name="workbook",
    ),
    path(
        "conventions/<int:pk>/evaluation/import/",
        indicator_views.workbook_upload,
        name="workbook_upload",
    ),
    path(
        "conventions/<int:pk>/evaluation/import/confirmer/",
        indicator_views.workbook_confirm,
        name="workbook_confirm",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures/<int:measurement_pk>/modifier/",
        lock_views.measurement_edit,
        name="measurement_edit",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures/<int:measurement_pk>/supprimer/",
        lock_views.measurement_delete,
        name="measurement_delete",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures/<int:measurement_pk>/deverrouiller/",
        lock_views.measurement_unlock,
        name="measurement_unlock",
    ),
    path("conventions/<int:pk>/evaluation/changements/", follow_views.changes, name="changes"),
    path(
        "conventions/<int:pk>/evaluation/changements/nouveau/",
        follow_views.change_create,
        name="change_create",
    ),
    path(
        "conventions/<int:pk>/evaluation/changements/<int:change_pk>/marqueurs/nouveau/",
        follow_views.marker_create,
        name="marker_create",
    ),
    path(
        "conventions/<int:pk>/evaluation/marqueurs/<int:marker_pk>/observations/nouvelle/",
        follow_views.observation_create,
        name="observation_create",
    ),
    path(
        "conventions/<int:pk>/evaluation/territoires/",
        follow_views.territories,
        name="territories",
    ),
    path("portefeuille/", follow_views.portfolio, name="portfolio"),
]
