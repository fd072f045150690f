"""NUL and other control characters in query strings and form fields (issue 19, item 4).

PostgreSQL refuses a NUL in a string literal (``ValueError: A string literal cannot contain
NUL``): a search for ``%00`` was a 500. One middleware removes control characters (tab and line
breaks aside) from every GET and POST parameter, whatever the page.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from actions.factories import ActionSheetFactory
from ctg.middleware import ControlCharactersMiddleware


@pytest.mark.parametrize(
    "url,query",
    [
        ("conventions:list", "q=%00"),
        ("conventions:collectivities", "q=%00"),
        ("actions:plan", "q=%00&pilote=%00"),
        ("actions:plan", "q=FA%00-01&statut=%01brouillon&tri=%1b"),
        ("conventions:list", "q=%00&page=%00"),
    ],
)
def test_a_nul_byte_in_a_query_string_is_not_a_server_error(world, login, url, query):
    args = [world.convention.pk] if url == "actions:plan" else []
    ActionSheetFactory(convention=world.convention, number="FA-01", lead="CC des Deux Rives")
    response = login(world.caf_staff).get(f"{reverse(url, args=args)}?{query}")
    assert response.status_code == 200


def test_a_search_with_control_characters_finds_what_the_text_says(world, login):
    ActionSheetFactory(convention=world.convention, number="FA-01", title="Relais petite enfance")
    ActionSheetFactory(convention=world.convention, number="FA-02", title="Accueil jeunes")
    url = reverse("actions:plan", args=[world.convention.pk])
    response = login(world.caf_staff).get(f"{url}?q=Re%00lais")
    assert [s.number for s in response.context["sheets"]] == ["FA-01"]


def test_a_posted_form_field_loses_its_control_characters(world, login):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01")
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "abandon"])
    login(world.caf_staff).post(url, {"reason": "Financement\x00 retiré\x07\r\n\tdéfinitivement"})
    sheet.refresh_from_db()
    assert sheet.status_reason == "Financement retiré\r\n\tdéfinitivement"


def test_the_middleware_cleans_keys_and_every_value_and_keeps_text_intact():
    factory = RequestFactory()
    seen = {}

    def view(request):
        seen["GET"] = request.GET
        seen["POST"] = request.POST
        return None

    middleware = ControlCharactersMiddleware(view)
    request = factory.post(
        "/x/?q=a%00b&q=%1Fc&n%00om=d",
        {"texte": "ligne 1\r\nligne 2\x0b\x7f", "choix": ["1\x00", "2"], "émoji": "🙂"},
    )
    middleware(request)
    assert seen["GET"].getlist("q") == ["ab", "c"]
    assert seen["GET"]["nom"] == "d"
    assert seen["POST"]["texte"] == "ligne 1\r\nligne 2"
    assert seen["POST"].getlist("choix") == ["1", "2"]
    assert seen["POST"]["émoji"] == "🙂"
    assert not seen["GET"]._mutable and not seen["POST"]._mutable


def test_an_upload_keeps_its_file_and_its_other_fields():
    from django.core.files.uploadedfile import SimpleUploadedFile

    factory = RequestFactory()
    seen = {}

    def view(request):
        seen["POST"], seen["FILES"] = request.POST, request.FILES
        return None

    request = factory.post("/x/", {"file": SimpleUploadedFile("a.csv", b"a\x00b"), "caf": "1\x00"})
    ControlCharactersMiddleware(view)(request)
    assert seen["POST"]["caf"] == "1"
    assert seen["FILES"]["file"].read() == b"a\x00b"  # a file's content is the parser's business


@pytest.mark.parametrize(
    "value",
    ["9" * 5000, "²", "99999999999999999999", "-1"],
    ids=["5000-digits", "superscript", "beyond-bigint", "negative"],
)
def test_a_hostile_thematic_in_the_new_finding_link_is_ignored(world, login, value):
    """The « Ajouter un constat » link preselects its thematic from ``?thematique=``: a
    5,000-digit number (int() refuses it), a superscript digit or an id beyond the database's
    integers was a 500."""
    client = login(world.caf_staff)
    url = reverse("diagnostics:finding_create", args=[world.convention.pk])
    response = client.get(url, {"thematique": value})
    assert response.status_code == 200


BEYOND_ANY_ID = "99999999999999999999"  # beyond SQLite's and PostgreSQL's integers


def test_a_plan_filter_beyond_the_database_integers_is_ignored(world, login):
    """``?thematique=-99999999999999999999`` reached the database as an integer that SQLite
    cannot hold (OverflowError, 500 under `make run`)."""
    client = login(world.elected)
    url = reverse("actions:plan", args=[world.convention.pk])
    for value in (BEYOND_ANY_ID, "-" + BEYOND_ANY_ID):
        assert client.get(url, {"thematique": value}).status_code == 200


def test_a_multiple_choice_beyond_the_database_integers_is_refused_in_french(world, login):
    """A ticked thematic whose id is beyond the database's integers was an OverflowError on
    SQLite (pk__in lookup of the multiple choice field) instead of the field's message."""
    from tests.form_data import initial_data

    client = login(world.caf_staff)
    url = reverse("conventions:edit", args=[world.convention.pk])
    data = initial_data(client.get(url))
    data["thematics"] = [BEYOND_ANY_ID]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide." in response.content.decode()
