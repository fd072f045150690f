from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("conventions/<int:pk>/plan/", views.action_plan, name="plan"),
    path("conventions/<int:pk>/plan/export.xlsx", views.plan_export, name="export"),
    path(
        "conventions/<int:pk>/plan/objectifs/nouveau/",
        views.objective_edit,
        name="objective_create",
    ),
    path(
        "conventions/<int:pk>/plan/objectifs/<int:objective_id>/modifier/",
        views.objective_edit,
        name="objective_update",
    ),
    path(
        "conventions/<int:pk>/plan/objectifs/<int:objective_id>/supprimer/",
        views.objective_delete,
        name="objective_delete",
    ),
    path("conventions/<int:pk>/fiches/nouvelle/", views.sheet_edit, name="sheet_create"),
    path("conventions/<int:pk>/fiches/<int:sheet_id>/", views.sheet_detail, name="sheet"),
    path(
        "conventions/<int:pk>/fiches/<int:sheet_id>/modifier/",
        views.sheet_edit,
        name="sheet_update",
    ),
    path(
        "conventions/<int:pk>/fiches/<int:sheet_id>/statut/<slug:action>/",
        views.sheet_transition,
        name="sheet_transition",
    ),
    path(
        "conventions/<int:pk>/fiches/<int:sheet_id>/avis/",
        views.sheet_opinion,
        name="sheet_opinion",
    ),
    path("a-examiner/", views.review_inbox, name="inbox"),
]
