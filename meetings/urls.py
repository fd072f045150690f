from django.urls import path

from . import views

app_name = "meetings"

_meeting = "conventions/<int:pk>/instances/<int:committee_pk>/reunions/<int:meeting_pk>/"
urlpatterns = [
    path(f"{_meeting}participants/", views.attendance, name="attendance"),
    path(f"{_meeting}ordre-du-jour/", views.agenda, name="agenda"),
    path(f"{_meeting}convocation/", views.convocation_send, name="convocation_send"),
    path(f"{_meeting}reunion.ics", views.calendar, name="calendar"),
]
