"""Routes of the shared indicators of a Caf (the SDSF framework): the Caf's set, the link
from a fiche, the cross-convention view of the portfolio; included by
:mod:`evaluation.urls`."""

from django.urls import path

from . import shared_views

urlpatterns = [
    path("indicateurs-partages/", shared_views.shared_list, name="shared_list"),
    path("indicateurs-partages/nouveau/", shared_views.shared_create, name="shared_create"),
    path(
        "indicateurs-partages/<int:shared_pk>/modifier/",
        shared_views.shared_edit,
        name="shared_edit",
    ),
    path(
        "indicateurs-partages/<int:shared_pk>/supprimer/",
        shared_views.shared_delete,
        name="shared_delete",
    ),
    path(
        "portefeuille/indicateurs-partages/",
        shared_views.shared_portfolio_view,
        name="shared_portfolio",
    ),
    path(
        "portefeuille/indicateurs-partages.xlsx",
        shared_views.shared_portfolio_xlsx,
        name="shared_portfolio_xlsx",
    ),
    path(
        "conventions/<int:pk>/fiches/<int:sheet_id>/indicateurs-partages/",
        shared_views.shared_link,
        name="shared_link",
    ),
    path(
        "conventions/<int:pk>/evaluation/indicateurs/<int:indicator_pk>/retirer/",
        shared_views.shared_unlink,
        name="shared_unlink",
    ),
]
