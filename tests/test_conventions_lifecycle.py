"""Lifecycle: the stepper, guarded transitions, signature, renewal."""

import datetime
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from actions.factories import ActionSheetFactory
from conventions import lifecycle, selectors
from conventions.factories import ConventionFactory, SignatoryFactory
from conventions.models import Convention
from conventions.services import convention as convention_services
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic

Phase = Convention.Phase


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def draft(world):
    """A new convention of the first Caf in préparation, with three thematics and a territory."""
    convention = ConventionFactory(
        caf=world.caf, name="CTG en préparation", phase=Phase.PREPARATION
    )
    convention.thematics.set(
        [thematic("petite-enfance"), thematic("jeunesse"), thematic("parentalite")]
    )
    convention.territories.set([world.epci])
    return convention


def advance(convention, to_phase, by, **kwargs):
    return convention_services.convention_advance(
        convention=convention, to_phase=to_phase, by=by, **kwargs
    )


def reload(convention):
    return Convention.objects.get(pk=convention.pk)


# --- guards ---------------------------------------------------------------------------------


def test_it_refuses_to_start_the_diagnostic_without_thematics_or_territory(world):
    convention = ConventionFactory(caf=world.caf, phase=Phase.PREPARATION)
    with pytest.raises(ValidationError) as refused:
        advance(convention, Phase.DIAGNOSTIC, world.caf_staff)
    assert "Aucune thématique n'est choisie" in " ".join(refused.value.messages)
    assert "Aucun territoire couvert n'est renseigné." in refused.value.messages
    assert reload(convention).phase == Phase.PREPARATION


def test_it_refuses_the_action_plan_while_thematics_have_no_finding(world, draft):
    advance(draft, Phase.DIAGNOSTIC, world.caf_staff)
    diagnostic = DiagnosticFactory(convention=draft)
    FindingFactory(diagnostic=diagnostic, thematic=thematic("petite-enfance"))
    with pytest.raises(ValidationError) as refused:
        advance(draft, Phase.ACTION_PLAN, world.caf_staff)
    assert refused.value.messages == ["2 thématiques n'ont aucun constat : Jeunesse, Parentalité."]
    FindingFactory(diagnostic=diagnostic, thematic=thematic("jeunesse"))
    with pytest.raises(ValidationError, match="1 thématique n'a aucun constat : Parentalité"):
        advance(draft, Phase.ACTION_PLAN, world.caf_staff)
    FindingFactory(diagnostic=diagnostic, thematic=thematic("parentalite"))
    assert advance(draft, Phase.ACTION_PLAN, world.caf_staff).phase == Phase.ACTION_PLAN


def test_findings_of_another_convention_do_not_count(world, draft):
    advance(draft, Phase.DIAGNOSTIC, world.caf_staff)
    other = DiagnosticFactory(convention=world.other_convention)
    for code in ("petite-enfance", "jeunesse", "parentalite"):
        FindingFactory(diagnostic=other, thematic=thematic(code))
    with pytest.raises(ValidationError, match="3 thématiques n'ont aucun constat"):
        advance(draft, Phase.ACTION_PLAN, world.caf_staff)


def test_it_refuses_the_signature_without_a_validated_fiche_or_signatories(world, draft):
    draft.phase = Phase.ACTION_PLAN
    draft.save()
    ActionSheetFactory(convention=draft, status="soumise")
    with pytest.raises(ValidationError) as refused:
        advance(draft, Phase.SIGNATURE, world.caf_staff)
    messages = " ".join(refused.value.messages)
    assert "Aucune fiche action validée" in messages
    assert "Aucun signataire n'est enregistré" in messages
    ActionSheetFactory(convention=draft, status="validee")
    with pytest.raises(ValidationError, match="Aucun signataire"):
        advance(draft, Phase.SIGNATURE, world.caf_staff)
    SignatoryFactory(convention=draft, collectivity=world.epci)
    assert advance(draft, Phase.SIGNATURE, world.caf_staff).phase == Phase.SIGNATURE


def test_it_refuses_to_skip_phases(world, draft):
    with pytest.raises(ValidationError, match="ne peut pas passer de la phase « Préparation »"):
        advance(draft, Phase.IMPLEMENTATION, world.caf_staff)


def test_going_back_needs_a_reason_and_records_it(world, draft):
    draft.phase = Phase.ACTION_PLAN
    draft.save()
    with pytest.raises(ValidationError, match="Indiquez le motif du retour"):
        advance(draft, Phase.DIAGNOSTIC, world.caf_staff)
    advance(draft, Phase.DIAGNOSTIC, world.caf_staff, reason="Un atelier jeunesse manque")
    record = reload(draft).history.first()
    assert record.history_user == world.caf_staff
    assert record.history_change_reason == (
        "Plan d'actions → Diagnostic partagé : Un atelier jeunesse manque"
    )


def test_closing_before_the_end_date_needs_a_reason(world):
    convention = ConventionFactory(
        caf=world.caf,
        phase=Phase.EVALUATION,
        signed_on=datetime.date(2022, 1, 10),
        end_date=timezone.localdate() + datetime.timedelta(days=100),
    )
    with pytest.raises(ValidationError, match="indiquez le motif d'une clôture anticipée"):
        advance(convention, Phase.CLOSED, world.caf_staff)
    advance(convention, Phase.CLOSED, world.caf_staff, reason="Fusion des EPCI")
    assert reload(convention).phase == Phase.CLOSED


def test_every_transition_bumps_the_version_and_records_who_and_why(world, draft):
    advance(draft, Phase.DIAGNOSTIC, world.caf_staff, reason="Lancement en COPIL")
    fresh = reload(draft)
    assert fresh.version == 2
    record = fresh.history.first()
    assert record.history_user == world.caf_staff
    assert record.history_change_reason == "Préparation → Diagnostic partagé : Lancement en COPIL"


# --- signature ------------------------------------------------------------------------------


@pytest.fixture
def ready_to_sign(world, draft):
    draft.phase = Phase.SIGNATURE
    draft.save()
    ActionSheetFactory(convention=draft, status="validee")
    SignatoryFactory(convention=draft, collectivity=world.epci)
    return draft


def test_signing_records_the_date_and_moves_to_implementation(world, ready_to_sign):
    convention_services.convention_sign(
        convention=ready_to_sign, signed_on=datetime.date(2021, 12, 15), by=world.caf_staff
    )
    fresh = reload(ready_to_sign)
    assert fresh.phase == Phase.IMPLEMENTATION
    assert fresh.signed_on == datetime.date(2021, 12, 15)
    assert fresh.history.first().history_change_reason.startswith("Signature le 15/12/2021")


def test_it_refuses_a_signature_date_in_the_future(world, ready_to_sign):
    with pytest.raises(ValidationError, match="ne peut pas être dans le futur"):
        convention_services.convention_sign(
            convention=ready_to_sign,
            signed_on=timezone.localdate() + datetime.timedelta(days=1),
            by=world.caf_staff,
        )
    assert reload(ready_to_sign).phase == Phase.SIGNATURE


def test_it_refuses_to_sign_outside_the_signature_phase(world, draft):
    with pytest.raises(ValidationError, match="Seule une convention en phase « Signature »"):
        convention_services.convention_sign(
            convention=draft, signed_on=datetime.date(2022, 1, 1), by=world.caf_staff
        )


def test_the_sign_page_asks_for_the_date_and_signs(world, login, ready_to_sign):
    client = login(world.caf_staff)
    url = reverse("conventions:sign", args=[ready_to_sign.pk])
    assert "Date de signature" in text(client.get(url))
    response = client.post(url, {"signed_on": ""})
    assert "Ce champ est obligatoire." in text(response)
    response = client.post(url, {"signed_on": "2021-12-15"}, follow=True)
    assert "la convention passe en mise en œuvre" in text(response)
    assert "signée le 15 décembre 2021" in text(response)
    assert reload(ready_to_sign).phase == Phase.IMPLEMENTATION


def test_the_sign_page_explains_what_is_missing(world, login, draft):
    draft.phase = Phase.SIGNATURE
    draft.save()
    html = text(login(world.caf_staff).get(reverse("conventions:sign", args=[draft.pk])))
    assert "La signature n'est pas encore possible" in html
    assert "Aucune fiche action validée" in html


def test_signing_a_renewal_marks_the_previous_convention_renewed(world, ready_to_sign):
    previous = ConventionFactory(caf=world.caf, phase=Phase.EVALUATION)
    ready_to_sign.previous = previous
    ready_to_sign.save()
    convention_services.convention_sign(
        convention=ready_to_sign, signed_on=datetime.date(2022, 1, 5), by=world.caf_staff
    )
    fresh = reload(previous)
    assert fresh.phase == Phase.RENEWED
    assert "renouvelée par « CTG en préparation »" in fresh.history.first().history_change_reason


# --- the lifecycle page ---------------------------------------------------------------------


def test_the_lifecycle_page_says_why_a_transition_is_blocked(world, login, draft):
    draft.phase = Phase.DIAGNOSTIC
    draft.save()
    html = text(login(world.caf_staff).get(reverse("conventions:lifecycle", args=[draft.pk])))
    assert "Passer à la phase « Plan d'actions »" in html
    assert "3 thématiques n'ont aucun constat" in html
    assert "Revenir à la phase « Préparation »" in html


def test_a_blocked_transition_posted_anyway_is_refused_with_its_reason(world, login, draft):
    response = login(world.caf_staff).post(
        reverse("conventions:lifecycle", args=[draft.pk]),
        {"to_phase": Phase.IMPLEMENTATION},
        follow=True,
    )
    assert "ne peut pas passer de la phase « Préparation »" in text(response)
    assert reload(draft).phase == Phase.PREPARATION


def test_caf_staff_advance_through_the_lifecycle_page(world, login, draft):
    response = login(world.caf_staff).post(
        reverse("conventions:lifecycle", args=[draft.pk]),
        {"to_phase": Phase.DIAGNOSTIC, "reason": "Réunion de lancement"},
        follow=True,
    )
    assert "La convention passe en phase « Diagnostic partagé »." in text(response)
    assert reload(draft).phase == Phase.DIAGNOSTIC


def test_a_coordinator_cannot_post_a_transition(world, login):
    response = login(world.coordinator).post(
        reverse("conventions:lifecycle", args=[world.convention.pk]),
        {"to_phase": Phase.EVALUATION},
    )
    assert response.status_code == 403
    assert reload(world.convention).phase == Phase.IMPLEMENTATION


# --- stepper --------------------------------------------------------------------------------


def test_the_stepper_maps_detailed_phases_onto_the_path(world, draft):
    labels = [s.label for s in lifecycle.convention_steps(draft)]
    assert labels == [
        "Diagnostic",
        "Plan d'actions",
        "Signature",
        "Mise en œuvre",
        "Évaluation",
        "Clôturée",
    ]
    states = [s.state for s in lifecycle.convention_steps(draft)]
    assert states == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert lifecycle.convention_steps(draft)[0].detail == "Préparation"
    draft.phase = Phase.IMPLEMENTATION
    states = [s.state for s in lifecycle.convention_steps(draft)]
    assert states == ["done", "done", "done", "current", "todo", "todo"]
    draft.phase = Phase.RENEWED
    steps = lifecycle.convention_steps(draft)
    assert all(s.state == "done" for s in steps) and steps[-1].detail == "Renouvelée"


def test_every_convention_page_shows_the_stepper(world, login):
    html = text(login(world.elected).get(reverse("portal:detail", args=[world.convention.pk])))
    assert 'aria-label="Phases de la convention"' in html
    assert 'aria-current="step"' in html


# --- renewal --------------------------------------------------------------------------------


def ending_in(days: int, **kwargs) -> Convention:
    end = timezone.localdate() + datetime.timedelta(days=days)
    return ConventionFactory(
        start_date=end - datetime.timedelta(days=4 * 365),
        end_date=end,
        phase=kwargs.pop("phase", Phase.IMPLEMENTATION),
        **kwargs,
    )


def test_conventions_ending_within_12_months_or_ended_are_to_renew_the_ended_first(world):
    soon = ending_in(200, caf=world.caf, name="Bientôt")
    sooner = ending_in(30, caf=world.caf, name="Très bientôt")
    ending_in(500, caf=world.caf, name="Plus tard")
    ending_in(100, caf=world.caf, name="En préparation", phase=Phase.PREPARATION)
    ending_in(100, caf=world.other_caf, name="Autre Caf")
    already = ending_in(100, caf=world.caf, name="Déjà renouvelée")
    ConventionFactory(caf=world.caf, previous=already, phase=Phase.PREPARATION)
    # The world's convention ended on 31 December 2025, still in mise en œuvre: first.
    assert list(selectors.conventions_to_renew(world.caf)) == [world.convention, sooner, soon]


def test_the_header_and_the_list_flag_a_convention_to_renew(world, login):
    convention = ending_in(90, caf=world.caf, name="CTG à renouveler")
    client = login(world.caf_staff)
    header = text(client.get(reverse("portal:detail", args=[convention.pk])))
    assert "À renouveler" in header
    assert reverse("conventions:renew", args=[convention.pk]) in header
    listing = client.get(reverse("conventions:list"))
    row = {c.name: c.renewal_due for c in listing.context["page"].object_list}
    # The world's convention ended in 2025 without renewal: due as well.
    assert row == {"CTG à renouveler": True, "CTG des Deux Rives": True}
    assert "À renouveler" in text(listing)


def test_preparing_the_renewal_creates_a_linked_convention(world, login):
    convention = world.convention
    convention.thematics.set([thematic("jeunesse")])
    convention.territories.set([world.epci, world.commune])
    response = login(world.caf_staff).post(reverse("conventions:renew", args=[convention.pk]))
    renewal = Convention.objects.get(previous=convention)
    assert response.status_code == 302
    assert response["Location"] == reverse("conventions:edit", args=[renewal.pk])
    assert renewal.phase == Phase.PREPARATION
    assert renewal.start_date == datetime.date(2026, 1, 1)
    assert renewal.end_date == datetime.date(2029, 12, 31)
    assert set(renewal.territories.all()) == {world.epci, world.commune}
    assert [t.code for t in renewal.thematics.all()] == ["jeunesse"]
    assert renewal.history.first().history_user == world.caf_staff


def test_it_refuses_a_second_renewal(world):
    convention_services.convention_prepare_renewal(convention=world.convention, by=world.caf_staff)
    with pytest.raises(ValidationError, match="Un renouvellement est déjà en préparation"):
        convention_services.convention_prepare_renewal(
            convention=world.convention, by=world.caf_staff
        )


def test_it_refuses_to_renew_an_unsigned_convention(world, draft):
    with pytest.raises(ValidationError, match="Seule une convention signée"):
        convention_services.convention_prepare_renewal(convention=draft, by=world.caf_staff)
