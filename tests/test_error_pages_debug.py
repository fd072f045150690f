"""Under `make run` (DEBUG on) a mistyped URL or a bug shows the French pages users get in
production; Django's technical pages only when a developer asks for them."""

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def fresh_client() -> Client:
    # A new client loads the middleware under the settings in force.
    return Client(raise_request_exception=False)


@override_settings(DEBUG=True)
def test_a_mistyped_url_shows_the_french_404_page_under_debug():
    response = fresh_client().get("/conventiones/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert "DEBUG = True" not in page


@override_settings(DEBUG=True, ROOT_URLCONF="tests.error_urls")
def test_a_bug_shows_the_french_500_page_under_debug():
    response = fresh_client().get("/essai/erreur/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page
    assert "Traceback" not in page


@override_settings(DEBUG=True, DEBUG_TECHNICAL_ERRORS=True)
def test_a_developer_may_ask_for_the_technical_pages():
    response = fresh_client().get("/conventiones/")
    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()


def test_production_settings_keep_the_french_pages():
    response = fresh_client().get("/conventiones/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
