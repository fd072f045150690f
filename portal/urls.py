from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from conventions import views as convention_views
from conventions.auth_forms import EmailAuthenticationForm
from ctg import health

admin.site.site_header = "CTG — administration"
admin.site.site_title = "CTG"
admin.site.index_title = "Administration des conventions territoriales globales"

urlpatterns = [
    path("", convention_views.home, name="home"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=EmailAuthenticationForm
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("conventions.urls")),
    path("", include("diagnostics.urls")),
    path("", include("actions.urls")),
    path("", include("evaluation.urls")),
    path("", include("reports.urls")),
    path("", include("plans.urls")),
    path("", include("portal.convention_urls")),
    path("", include("api.urls")),
    path("", include("publication.urls")),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]

handler500 = "ctg.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
