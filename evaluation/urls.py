from django.urls import path

from . import views
from .urls_follow import urlpatterns as follow_urlpatterns
from .urls_validation import urlpatterns as validation_urlpatterns

app_name = "evaluation"

urlpatterns = [
    path("conventions/<int:pk>/evaluation/", views.overview, name="overview"),
]

# Follow-up pages: indicators, measurements, qualitative follow-up, portfolio.
urlpatterns += follow_urlpatterns
# Validation of measurements by the Caf.
urlpatterns += validation_urlpatterns
