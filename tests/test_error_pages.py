"""The error pages speak French, keep nothing half-saved and say when to retry."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings
from django.urls import reverse

from conventions.models import Convention
from ctg.errors import database_unavailable

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_french_404_page_with_the_menu(world, login):
    response = login(world.elected).get("/conventions/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert "Mes conventions" in page  # the signed-in user's menu stays
    assert "Not Found" not in page


def test_an_anonymous_visitor_gets_the_404_page_without_a_menu(client):
    response = client.get("/nexiste-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert "Se déconnecter" not in page


def test_a_role_without_access_gets_the_french_403_page(world, login):
    response = login(world.elected).get(reverse("evaluation:portfolio"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page
    assert "élu" in page.lower()
    assert "Forbidden" not in page


def test_a_form_sent_without_its_csrf_token_is_explained_and_nothing_is_saved(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.caf_staff)
    url = reverse("conventions:edit", args=[world.convention.pk])
    response = client.post(url, {"name": "Renommée sans jeton"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Formulaire expiré" in page
    assert "Rien n'a été enregistré" in page
    assert Convention.objects.get(pk=world.convention.pk).name == "CTG des Deux Rives"


@override_settings(ROOT_URLCONF="tests.error_urls")
def test_a_bug_gets_the_french_500_page(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.caf_staff)
    response = client.get("/essai/erreur/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page
    assert "Erreur 500" in page  # the template, not the plain fallback
    assert "Server Error" not in page
    assert "Traceback" not in page and "a bug" not in page


@override_settings(ROOT_URLCONF="tests.error_urls")
def test_a_lost_database_gets_a_503_with_retry_after_and_no_query(world, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    client.force_login(world.elected)  # a signed-in user: the page must not load them
    with django_assert_num_queries(0):  # the page must not need the database it lost
        response = client.get("/essai/base-indisponible/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Service momentanément indisponible" in page
    assert "Réessayez dans 30 secondes" in page
    assert "server closed" not in page


def test_the_error_page_still_answers_when_it_cannot_be_rendered(world, tmp_path):
    manifest_storage = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # One override for all three settings: nested overrides undone out of order would
    # leave the manifest storage in place for the tests that follow.
    with override_settings(
        ROOT_URLCONF="tests.error_urls",
        STORAGES=manifest_storage,
        STATIC_ROOT=tmp_path,  # no manifest there: {% static %} fails in the template
    ):
        client = Client(raise_request_exception=False)
        response = client.get("/essai/base-indisponible/")
        assert response.status_code == 503
        page = response.content.decode()
        assert "Service momentanément indisponible" in page
        assert "card-body" not in page  # the plain fallback, not the template
        assert client.get("/essai/erreur/").status_code == 500
    # Restored: the next pages render their static files again.
    assert Client().get("/connexion/").status_code == 200


@pytest.mark.parametrize(
    "sqlstate, unavailable",
    [
        (None, True),  # connection refused, server closed the connection
        ("08006", True),  # connection failure
        ("57P01", True),  # terminating connection: administrator command (restart)
        ("57P03", True),  # the database system is starting up
        ("40P01", False),  # deadlock: a bug to see as a 500
        ("57014", False),  # statement timeout
        ("53100", False),  # disk full
    ],
)
def test_only_an_unreachable_database_answers_503(sqlstate, unavailable):
    cause = Exception("psycopg2 error")
    cause.pgcode = sqlstate
    error = OperationalError("wrapped by Django")
    error.__cause__ = cause
    assert database_unavailable(error) is unavailable
    assert database_unavailable(InterfaceError("connection already closed"))
    assert not database_unavailable(RuntimeError("a bug"))


def test_a_request_for_an_unknown_host_gets_the_french_400_page(client):
    response = client.get("/conventions/", HTTP_HOST="intrus.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Requête invalide" in page and "Erreur 400" in page
    assert "Bad Request" not in page
