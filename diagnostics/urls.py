from django.urls import path

from . import views

app_name = "diagnostics"

urlpatterns = [
    path("conventions/<int:pk>/diagnostic/", views.diagnostic_detail, name="detail"),
]
