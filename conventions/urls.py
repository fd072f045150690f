from django.urls import path

from . import views

app_name = "conventions"

urlpatterns = [
    path("", views.convention_list, name="list"),
    path("<int:pk>/", views.convention_detail, name="detail"),
]
