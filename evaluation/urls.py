from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("conventions/<int:pk>/evaluation/", views.overview, name="overview"),
    path("conventions/<int:pk>/rapports/", views.reports, name="reports"),
]
