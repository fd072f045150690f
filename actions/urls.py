from django.urls import path

from . import views

app_name = "actions"

urlpatterns = [
    path("conventions/<int:pk>/plan/", views.action_plan, name="plan"),
]
