"""Routes of the validation of measurements by the Caf; included by :mod:`evaluation.urls`."""

from django.urls import path

from . import validation_views

urlpatterns = [
    path(
        "conventions/<int:pk>/evaluation/mesures-a-valider/",
        validation_views.validation_list,
        name="validation_list",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures-a-valider/fiches/<int:sheet_pk>/valider/",
        validation_views.sheet_validate,
        name="sheet_validate",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures/<int:measurement_pk>/valider/",
        validation_views.measurement_validate,
        name="measurement_validate",
    ),
    path(
        "conventions/<int:pk>/evaluation/mesures/<int:measurement_pk>/renvoyer/",
        validation_views.measurement_return,
        name="measurement_return",
    ),
]
