from django.urls import path

from . import views
from .reference_views import urlpatterns as reference_urlpatterns
from .urls_follow import urlpatterns as follow_urlpatterns
from .urls_shared import urlpatterns as shared_urlpatterns
from .urls_validation import urlpatterns as validation_urlpatterns

app_name = "evaluation"

urlpatterns = [
    path("conventions/<int:pk>/evaluation/", views.overview, name="overview"),
]

# Follow-up pages: indicators, measurements, qualitative follow-up, portfolio.
urlpatterns += follow_urlpatterns
# Validation of measurements by the Caf.
urlpatterns += validation_urlpatterns
# The reference sheet of an indicator and its yearly targets.
urlpatterns += reference_urlpatterns
# Shared indicators of a Caf (SDSF): the set, the link from a fiche, the portfolio's view.
urlpatterns += shared_urlpatterns
