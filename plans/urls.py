from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("conventions/<int:pk>/plan/import/", views.plan_import, name="import"),
    path(
        "conventions/<int:pk>/plan/import/confirmer/",
        views.plan_import_confirm,
        name="import_confirm",
    ),
    path("conventions/<int:pk>/plan/modele.xlsx", views.plan_template, name="template"),
]
