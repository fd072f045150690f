from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from conventions import invitation_views
from conventions.auth_forms import EmailAuthenticationForm
from ctg import health
from diagnostics import urls as diagnostics_urls
from evaluation import urls_opendata
from portal import views as portal_views

admin.site.site_header = "CTG — administration"
admin.site.site_title = "CTG"
admin.site.index_title = "Administration des conventions territoriales globales"

urlpatterns = [
    path("", portal_views.todo, name="home"),
    path(
        "connexion/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=EmailAuthenticationForm
        ),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    # « Mot de passe oublié ? » (conventions/invitation_views.py)
    path(
        "mot-de-passe/oubli/",
        invitation_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oubli/envoye/",
        invitation_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        invitation_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        invitation_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("", include("conventions.urls")),
    # The Cafdata import keeps its diagnostics names but is evaluation's: it feeds the
    # indicators bound to the open data (evaluation/urls_opendata.py).
    path(
        "",
        include(
            (diagnostics_urls.urlpatterns + urls_opendata.urlpatterns, diagnostics_urls.app_name)
        ),
    ),
    path("", include("actions.urls")),
    path("", include("evaluation.urls")),
    path("", include("evidence.urls")),
    path("", include("reports.urls")),
    path("", include("plans.urls")),
    path("", include("meetings.urls")),
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
