"""Tampered rows of the fiche form (issue 19, item 6).

A row of the indicators or funding plan that carries an id which is not one of this fiche's own
rows (another convention's indicator, a funding line of another fiche, ``abc``, ``999999``) is
refused with a French message at the top of its block, and nothing is saved: never turned into a
new row, never a form given back without a word.
"""

from __future__ import annotations

from html import unescape

import pytest
from django.apps import apps
from django.urls import reverse

from actions.factories import ActionSheetFactory, FundingLineFactory
from evaluation.factories import IndicatorFactory
from tests.form_data import initial_data

INDICATOR_REFUSED = (
    "Un indicateur envoyé n'appartient pas à cette fiche : rechargez la page puis recommencez."
)
FUNDING_REFUSED = (
    "Une ligne de financement envoyée n'appartient pas à cette fiche : rechargez la page puis "
    "recommencez."
)


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for label in ("conventions", "diagnostics", "actions", "evaluation")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


@pytest.fixture
def sheets(world):
    """A fiche of the world's convention with one row of each kind, and the same on the other
    convention and on a second fiche of the same convention."""
    own = ActionSheetFactory(convention=world.convention, number="FA-01")
    FundingLineFactory(sheet=own, funder="Caf", year=2023)
    IndicatorFactory(action_sheet=own, name="Places ouvertes")
    sibling = ActionSheetFactory(convention=world.convention, number="FA-02")
    foreign = ActionSheetFactory(convention=world.other_convention, number="FA-01")
    return {
        "own": own,
        "sibling_indicator": IndicatorFactory(action_sheet=sibling, name="Sœur"),
        "sibling_funding": FundingLineFactory(sheet=sibling, funder="Département", year=2024),
        "foreign_indicator": IndicatorFactory(action_sheet=foreign, name="Étrangère"),
        "foreign_funding": FundingLineFactory(sheet=foreign, funder="MSA", year=2024),
    }


def _post(client, url, data):
    before = _counts()
    response = client.post(url, data)
    assert response.status_code == 200, "the tampered form was accepted"
    assert _counts() == before, "a refused form saved something"
    return unescape(response.content.decode())


TAMPERED_IDS = ["foreign", "sibling", "abc", "999999", "-1", "1.5"]


@pytest.mark.parametrize("tampered", TAMPERED_IDS)
def test_the_fiche_form_refuses_an_indicator_row_that_is_not_its_own(
    world, login, sheets, tampered
):
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheets["own"].pk])
    data = initial_data(client.get(url))
    value = sheets.get(f"{tampered}_indicator")
    data["indicateurs-0-id"] = str(value.pk) if value else tampered
    data["indicateurs-0-name"] = "Places ouvertes (revu)"
    html = _post(client, url, data)
    assert INDICATOR_REFUSED in html
    assert sheets["own"].indicators.get().name == "Places ouvertes"


@pytest.mark.parametrize("tampered", TAMPERED_IDS)
def test_the_fiche_form_refuses_a_funding_row_that_is_not_its_own(world, login, sheets, tampered):
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheets["own"].pk])
    data = initial_data(client.get(url))
    value = sheets.get(f"{tampered}_funding")
    data["financement-0-id"] = str(value.pk) if value else tampered
    data["financement-0-funder"] = "Caf (revu)"
    html = _post(client, url, data)
    assert FUNDING_REFUSED in html
    assert sheets["own"].funding_lines.get().funder == "Caf"


def test_a_new_fiche_refuses_rows_that_carry_an_id(world, login, sheets):
    """A new fiche has no rows yet: an extra row with another fiche's id is not a new row."""
    client = login(world.coordinator)
    url = reverse("actions:sheet_create", args=[world.convention.pk])
    data = initial_data(client.get(url))
    data.update(
        {
            "title": "Nouvelle fiche",
            "indicateurs-0-id": str(sheets["foreign_indicator"].pk),
            "indicateurs-0-name": "Volée",
            "financement-0-id": str(sheets["foreign_funding"].pk),
            "financement-0-funder": "Volé",
            "financement-0-year": "2024",
            "financement-0-planned_amount": "10",
        }
    )
    html = _post(client, url, data)
    assert INDICATOR_REFUSED in html and FUNDING_REFUSED in html


def test_an_initial_row_without_its_id_is_refused(world, login, sheets):
    """Removing the id of an existing row (or raising INITIAL_FORMS) does not make a new row."""
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheets["own"].pk])
    data = initial_data(client.get(url))
    data["indicateurs-0-id"] = ""
    data["indicateurs-0-name"] = "Doublon"
    html = _post(client, url, data)
    assert INDICATOR_REFUSED in html


def test_the_untouched_form_still_saves(world, login, sheets):
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheets["own"].pk])
    data = initial_data(client.get(url))
    data["indicateurs-0-name"] = "Places ouvertes (revu)"
    assert client.post(url, data).status_code == 302
    assert sheets["own"].indicators.get().name == "Places ouvertes (revu)"


@pytest.mark.parametrize("prefix", ["indicateurs", "financement"])
def test_a_fiche_form_claiming_thousands_of_rows_is_refused_without_building_them(
    world, login, sheets, prefix
):
    """TOTAL_FORMS=2000 made the form build every row (Django's default bound is 1,000 forms
    checked but up to 2,000 built): about a minute of a worker for one request. The fiche's
    rows are bounded (ROWS_MAX) and anything beyond is refused with a French message."""
    import time

    from actions.forms import ROWS_MAX

    client = login(world.coordinator)
    url = reverse("actions:sheet_create", args=[world.convention.pk])
    data = initial_data(client.get(url))
    data.update({"title": "Nouvelle fiche", f"{prefix}-TOTAL_FORMS": "2000"})
    started = time.monotonic()
    html = _post(client, url, data)
    assert time.monotonic() - started < 5
    assert f"Veuillez soumettre au plus {ROWS_MAX} formulaire" in html
