"""The convention pages that compose every app: Synthèse, history, document."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("conventions/<int:pk>/", views.convention_detail, name="detail"),
    path("conventions/<int:pk>/historique/", views.history, name="history"),
    path("conventions/<int:pk>/document.pdf", views.convention_document, name="document"),
    path(
        "conventions/<int:pk>/document.docx",
        views.convention_document_docx,
        name="document_docx",
    ),
]
