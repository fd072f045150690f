from django.urls import path

from . import views

app_name = "meetings"

_meeting = "conventions/<int:pk>/instances/<int:committee_pk>/reunions/<int:meeting_pk>/"
urlpatterns = [
    path(f"{_meeting}participants/", views.attendance, name="attendance"),
    path(f"{_meeting}ordre-du-jour/", views.agenda, name="agenda"),
    path(f"{_meeting}convocation/", views.convocation_send, name="convocation_send"),
    path(f"{_meeting}reunion.ics", views.calendar, name="calendar"),
    path(f"{_meeting}decisions/", views.decision, name="decision"),
    path(f"{_meeting}dossier-de-seance.pdf", views.pack_pdf, name="pack_pdf"),
    path(f"{_meeting}releve-de-decisions.pdf", views.releve_pdf, name="releve_pdf"),
    path(f"{_meeting}releve-de-decisions.docx", views.releve_docx, name="releve_docx"),
    path(f"{_meeting}releve-de-decisions/envoi/", views.releve_send, name="releve_send"),
    path(
        f"{_meeting}releve-de-decisions/envois/<int:sending_pk>.pdf",
        views.releve_sent_pdf,
        name="releve_sent_pdf",
    ),
]
