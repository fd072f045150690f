from django.conf import settings
from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path(
        "conventions/<int:pk>/pieces/mesures/<int:measurement_pk>/ajouter/",
        views.add_to_measurement,
        name="add_to_measurement",
    ),
    path(
        "conventions/<int:pk>/pieces/observations/<int:observation_pk>/ajouter/",
        views.add_to_observation,
        name="add_to_observation",
    ),
    path(
        "conventions/<int:pk>/pieces/fiches/<int:sheet_id>/ajouter/",
        views.add_to_sheet,
        name="add_to_sheet",
    ),
    path(
        "conventions/<int:pk>/pieces/<int:evidence_pk>/telecharger/",
        views.download,
        name="download",
    ),
    path(
        "conventions/<int:pk>/pieces/<int:evidence_pk>/supprimer/",
        views.delete,
        name="delete",
    ),
    # The storage's folder lies under MEDIA_ROOT, which development serves: this address
    # answers 404 before that, so that a file is only ever read through ``download``.
    path(
        f"{settings.MEDIA_URL.strip('/')}/evidence/<path:name>",
        views.no_public_address,
        name="no_public_address",
    ),
]
