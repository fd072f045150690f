"""Signature facts: recording the convention's signature dates its signatories, and the
version shown on the document counts amendments (avenants), not phase changes."""

import datetime

import pytest

from actions.factories import ActionSheetFactory
from conventions.factories import ConventionFactory, SignatoryFactory
from conventions.models import Amendment, Convention
from conventions.services import convention as convention_services
from conventions.services import signatory as signatory_services
from portal.document import convention_document_data, render_convention_html

D = datetime.date
SIGNED = D(2026, 3, 15)


@pytest.fixture
def ready_to_sign(world):
    convention = ConventionFactory(
        caf=world.caf, name="CTG à signer", phase=Convention.Phase.SIGNATURE
    )
    ActionSheetFactory(convention=convention, status="validee")
    return convention


def test_recording_the_signature_dates_every_signatory_without_a_date(world, ready_to_sign):
    epci = SignatoryFactory(convention=ready_to_sign, collectivity=world.epci)
    caf = SignatoryFactory(convention=ready_to_sign, collectivity=None, caf=world.caf)
    early = SignatoryFactory(
        convention=ready_to_sign, collectivity=world.commune, signed_on=D(2026, 3, 2)
    )
    convention_services.convention_sign(
        convention=ready_to_sign, signed_on=SIGNED, by=world.caf_staff
    )
    for signatory in (epci, caf):
        signatory.refresh_from_db()
        assert signatory.signed_on == SIGNED
        assert signatory.history.first().history_user == world.caf_staff
    early.refresh_from_db()
    assert early.signed_on == D(2026, 3, 2)  # a date already typed is kept


def test_a_signatory_deliberating_after_the_signature_keeps_an_empty_date(world, ready_to_sign):
    late = SignatoryFactory(
        convention=ready_to_sign, collectivity=world.epci, resolution_date=D(2026, 4, 1)
    )
    convention_services.convention_sign(
        convention=ready_to_sign, signed_on=SIGNED, by=world.caf_staff
    )
    late.refresh_from_db()
    assert late.signed_on is None
    assert Convention.objects.get(pk=ready_to_sign.pk).phase == Convention.Phase.IMPLEMENTATION


def test_each_signatory_date_stays_editable_after_the_signature(world, ready_to_sign):
    signatory = SignatoryFactory(convention=ready_to_sign, collectivity=world.epci)
    convention_services.convention_sign(
        convention=ready_to_sign, signed_on=SIGNED, by=world.caf_staff
    )
    signatory.refresh_from_db()
    signatory_services.signatory_update(
        signatory=signatory,
        data={"signed_on": D(2026, 3, 20)},
        by=world.caf_staff,
    )
    signatory.refresh_from_db()
    assert signatory.signed_on == D(2026, 3, 20)


def cover(convention) -> str:
    html = render_convention_html(data=convention_document_data(convention=convention))
    return html.split('<div class="ref">')[1].split("</div>")[0]


def test_the_document_cover_says_initial_version_whatever_the_phase_changes(world):
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(version=3)  # three phase changes
    convention.refresh_from_db()
    ref = cover(convention)
    assert "Version initiale" in ref
    assert "Version 3" not in ref


def test_the_document_cover_names_the_latest_amendment_included(world):
    convention = world.convention
    Amendment.objects.create(
        convention=convention, number=1, date=D(2023, 5, 2), purpose="Adhésion d'une commune"
    )
    Amendment.objects.create(
        convention=convention, number=2, date=D(2024, 6, 3), purpose="Nouvelle fiche"
    )
    ref = cover(convention)
    assert "Intégrant l&#x27;avenant n° 2 du 3 juin 2024" in ref
