from django.urls import path

from . import views

app_name = "conventions"

urlpatterns = [
    path("conventions/", views.convention_list, name="list"),
    path("conventions/<int:pk>/", views.convention_detail, name="detail"),
    path("conventions/<int:pk>/gouvernance/", views.governance, name="governance"),
    path("conventions/<int:pk>/historique/", views.history, name="history"),
]
