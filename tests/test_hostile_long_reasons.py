"""Reasons and comments as long as people write them (issue 19, item 1).

The audit history keeps every change reason whole (a text column, not django-simple-history's
default ``varchar(100)``): a committee sends back a fiche with a normal sentence, a fiche is
abandoned or started with a real explanation, a phase change carries its reason, and editing a
convention's territory records its whole summary. Every free-text reason is bounded by its form,
with a French message, and nothing is written when it is refused.

SQLite does not enforce ``varchar`` lengths: the first test reads the column types, the others
are the users' paths (they failed with ``DataError`` on PostgreSQL, as the CI runs them).
"""

from __future__ import annotations

from html import unescape

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from actions import services as action_services
from actions.factories import ActionSheetFactory
from actions.models import ActionSheet, ActionSheetTransition, Approval
from conventions.factories import CollectivityFactory, ConventionFactory
from conventions.models import Convention
from diagnostics.factories import thematic
from tests.form_data import initial_data

Status = ActionSheet.Status

# Sentences as long as those of the outside probe (147 and 133 characters).
LONG_COMMENT = (
    "Le budget prévisionnel ne distingue pas l'investissement du fonctionnement ; merci de "
    "préciser aussi le nombre de familles visées par l'action en 2025."
)
LONG_REASON = (
    "Le diagnostic doit être repris : les données de la petite enfance datent de 2019 et "
    "deux communes ont rejoint l'EPCI au 1er janvier."
)


def text(response) -> str:
    """The page's text, French thousand separators (no-break spaces) as plain spaces."""
    return unescape(response.content.decode()).replace("\xa0", " ").replace("\u202f", " ")


def test_the_sentences_are_longer_than_the_old_column():
    assert len(LONG_COMMENT) > 140
    assert len(LONG_REASON) > 130


def _historical_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in ("conventions", "diagnostics", "actions", "evaluation")
        and model.__name__.startswith("Historical")
        and any(f.name == "history_change_reason" for f in model._meta.fields)
    ]


@pytest.mark.django_db
def test_every_history_keeps_a_long_change_reason_whole():
    """The change reason of every audit history is a text column in the database."""
    models = _historical_models()
    assert len(models) >= 10
    with connection.cursor() as cursor:
        for model in models:
            columns = {
                info.name: info
                for info in connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            }
            info = columns["history_change_reason"]
            kind = connection.introspection.get_field_type(info.type_code, info)
            assert kind == "TextField", f"{model._meta.db_table}.history_change_reason: {kind}"


# --------------------------------------------------------------------------- fiches


@pytest.fixture
def submitted(world):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-01")
    action_services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    return sheet


def test_a_committee_sends_back_a_fiche_with_a_long_comment(world, login, submitted):
    url = reverse("actions:sheet_opinion", args=[world.convention.pk, submitted.pk])
    response = login(world.member_territory).post(
        url, {"decision": "a_revoir", "comment": LONG_COMMENT}, follow=True
    )
    assert response.status_code == 200
    assert "Avis « à revoir » enregistré." in text(response)
    submitted.refresh_from_db()
    assert submitted.status == Status.TO_REVIEW
    assert submitted.history.first().history_change_reason == LONG_COMMENT
    assert Approval.objects.get(sheet=submitted).comment == LONG_COMMENT


def test_a_fiche_is_abandoned_with_a_long_reason(world, login):
    sheet = ActionSheetFactory(ready=True, convention=world.convention, number="FA-01")
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "abandon"])
    response = login(world.caf_staff).post(url, {"reason": LONG_COMMENT}, follow=True)
    assert "Fiche FA-01 abandonnée." in text(response)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.status_reason) == (Status.ABANDONED, LONG_COMMENT)
    assert sheet.history.first().history_change_reason == LONG_COMMENT


def test_a_fiche_is_started_with_a_long_reason(world, login):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", status="validee"
    )
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "start"])
    response = login(world.coordinator).post(url, {"reason": LONG_COMMENT}, follow=True)
    assert "Fiche FA-01 passée « en cours »." in text(response)
    sheet.refresh_from_db()
    assert sheet.status == Status.IN_PROGRESS
    assert sheet.history.first().history_change_reason == LONG_COMMENT


def test_a_substantive_edit_of_a_validated_fiche_keeps_its_long_reason(world, login):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", status="validee"
    )
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk])
    data = initial_data(client.get(url))
    data.update({"title": "Un relais itinérant", "change_reason": LONG_COMMENT})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    sheet.refresh_from_db()
    assert (sheet.status, sheet.version) == (Status.SUBMITTED, 2)
    assert sheet.history.first().history_change_reason == LONG_COMMENT


# --------------------------------------------------------------------------- conventions


def test_a_phase_change_keeps_its_long_reason(world, login):
    convention = ConventionFactory(
        caf=world.caf, name="CTG en préparation", phase=Convention.Phase.PREPARATION
    )
    convention.thematics.set([thematic("petite-enfance")])
    convention.territories.set([world.epci])
    response = login(world.caf_staff).post(
        reverse("conventions:lifecycle", args=[convention.pk]),
        {"to_phase": Convention.Phase.DIAGNOSTIC, "reason": LONG_REASON},
        follow=True,
    )
    assert "La convention passe en phase « Diagnostic partagé »." in text(response)
    record = Convention.objects.get(pk=convention.pk).history.first()
    assert record.history_change_reason == f"Préparation → Diagnostic partagé : {LONG_REASON}"


def test_a_convention_edit_that_unticks_seven_communes_records_its_whole_summary(world, login):
    convention = world.convention
    communes = [
        CollectivityFactory(name=f"Commune numéro {i}", code=f"8299{i}", caf=world.caf)
        for i in range(7)
    ]
    convention.territories.set([world.epci, *communes])
    client = login(world.caf_staff)
    url = reverse("conventions:edit", args=[convention.pk])
    data = initial_data(client.get(url))
    data["territories"] = [str(world.epci.pk)]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    reason = Convention.objects.get(pk=convention.pk).history.first().history_change_reason
    assert len(reason) > 100
    assert reason.startswith("Territoires couverts : retrait de Commune numéro 0, ")
    assert reason.endswith("Commune numéro 6")


# --------------------------------------------------------------------------- bounds


TOO_LONG = "Motif " + "très " * 400  # 2 006 characters


def test_a_too_long_comment_on_an_opinion_is_refused_in_french(world, login, submitted):
    url = reverse("actions:sheet_opinion", args=[world.convention.pk, submitted.pk])
    response = login(world.member_territory).post(
        url, {"decision": "a_revoir", "comment": TOO_LONG}, follow=True
    )
    assert "Le commentaire ne doit pas dépasser 1 000 caractères" in text(response)
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not Approval.objects.exists()


@pytest.mark.parametrize("action,status", [("abandon", "brouillon"), ("start", "validee")])
def test_a_too_long_reason_for_a_status_change_is_refused_in_french(world, login, action, status):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", status=status
    )
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, action])
    response = login(world.caf_staff).post(url, {"reason": TOO_LONG}, follow=True)
    assert "Le motif ne doit pas dépasser 1 000 caractères" in text(response)
    sheet.refresh_from_db()
    assert sheet.status == status
    assert not ActionSheetTransition.objects.filter(sheet=sheet).exists()


def test_a_too_long_reason_for_a_substantive_edit_is_refused_in_french(world, login):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", status="validee"
    )
    client = login(world.coordinator)
    url = reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk])
    data = initial_data(client.get(url))
    data.update({"title": "Un relais itinérant", "change_reason": TOO_LONG})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Le motif ne doit pas dépasser 1 000 caractères" in text(response)
    sheet.refresh_from_db()
    assert (sheet.title, sheet.version) != ("Un relais itinérant", 2)


def test_a_too_long_reason_for_a_phase_change_is_refused_in_french(world, login):
    convention = ConventionFactory(
        caf=world.caf, name="CTG en préparation", phase=Convention.Phase.PREPARATION
    )
    convention.thematics.set([thematic("petite-enfance")])
    convention.territories.set([world.epci])
    response = login(world.caf_staff).post(
        reverse("conventions:lifecycle", args=[convention.pk]),
        {"to_phase": Convention.Phase.DIAGNOSTIC, "reason": TOO_LONG},
        follow=True,
    )
    assert "Le motif ne doit pas dépasser 1 000 caractères" in text(response)
    assert Convention.objects.get(pk=convention.pk).phase == Convention.Phase.PREPARATION
