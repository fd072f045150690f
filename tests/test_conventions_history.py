"""The "Historique" tab: every change to the convention and the records around it."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from conventions.factories import CommitteeMemberFactory, SignatoryFactory
from conventions.models import Committee, Convention, Side
from conventions.services import convention as convention_services
from diagnostics.factories import DiagnosticFactory, FindingFactory, TerritoryStatisticFactory
from diagnostics.models import Finding, StatisticDefinition
from portal import history as selectors


def spaces(value: str) -> str:
    return value.replace("\u202f", " ").replace("\xa0", " ")


def entries_of(convention):
    return selectors.convention_history(convention=convention)


def test_convention_changes_show_field_names_and_display_values_in_french(world):
    convention = world.convention
    convention_services.convention_update(
        convention=convention,
        data={
            "name": "CTG des Deux Rives 2022-2025",
            "reporting_frequency": Convention.Frequency.QUARTERLY,
            "end_date": datetime.date(2026, 6, 30),
        },
        expected_version=1,
        by=world.caf_staff,
    )
    entry = entries_of(convention)[0]
    assert entry["object"] == "Convention"
    assert entry["type"] == "Modification"
    assert entry["user"] == world.caf_staff
    changes = {c["field"]: (c["old"], c["new"]) for c in entry["changes"]}
    assert changes == {
        "intitulé": ("CTG des Deux Rives", "CTG des Deux Rives 2022-2025"),
        "fréquence des rapports d'avancement": ("Annuelle", "Trimestrielle"),
        "date de fin": ("31 décembre 2025", "30 juin 2026"),
    }


def test_the_history_covers_signatories_committees_members_findings_and_statistics(world):
    convention = world.convention
    convention.territories.set([world.commune])
    signatory = SignatoryFactory(convention=convention, collectivity=None, partner_name="MSA")
    signatory.representative_name = "Paul Martin"
    signatory.save()
    member = CommitteeMemberFactory(committee=world.committee, side=Side.CAF, name="Léa Caf")
    member.side = Side.TERRITORY
    member.save()
    committee = Committee.objects.create(convention=convention, kind="technical", name="COTECH")
    finding = FindingFactory(diagnostic=DiagnosticFactory(convention=convention))
    finding.priority = Finding.Priority.HIGH
    finding.save()
    statistic = TerritoryStatisticFactory(collectivity=world.commune, value=Decimal("1200"))
    statistic.value = Decimal("1234.5")
    statistic.save()
    committee.delete()

    objects = [e["object"] for e in entries_of(convention)]
    assert "Signataire : MSA" in objects
    assert "Membre : Léa Caf (Comité de pilotage)" in objects
    assert "Instance : COTECH" in objects
    assert any(o.startswith("Constat (Petite enfance, besoin)") for o in objects)
    label = StatisticDefinition.objects.get(code="allocataires").label
    assert f"Statistique : {label} — Laguépie (2023)" in objects
    by_object = {}
    for entry in entries_of(convention):
        by_object.setdefault(entry["object"], []).append(entry)
    member_change = by_object["Membre : Léa Caf (Comité de pilotage)"][0]
    assert member_change["changes"] == [{"field": "collège", "old": "Caf", "new": "Territoire"}]
    finding_change = next(e for k, v in by_object.items() if k.startswith("Constat") for e in v)
    assert finding_change["changes"] == [{"field": "priorité", "old": "Moyenne", "new": "Haute"}]
    statistic_change = next(
        e for k, v in by_object.items() if k.startswith("Statistique") for e in v
    )
    [value_change] = statistic_change["changes"]
    assert value_change["field"] == "valeur"
    assert spaces(value_change["old"]) == "1 200,00"
    assert spaces(value_change["new"]) == "1 234,50"
    deletion = by_object["Instance : COTECH"][0]
    assert deletion["type"] == "Suppression"


def test_the_history_leaves_out_other_conventions(world):
    other_signatory = world.other_convention.signatories.first()
    other_signatory.representative_name = "Quelqu'un d'autre"
    other_signatory.save()
    CommitteeMemberFactory(committee=world.other_committee, name="Membre de la Loire")
    TerritoryStatisticFactory(collectivity=world.other_commune)
    objects = " ".join(e["object"] for e in entries_of(world.convention))
    assert "Sorbiers" not in objects
    assert "Membre de la Loire" not in objects


def test_foreign_keys_show_names_and_entries_are_newest_first(world):
    convention_services.convention_update(
        convention=world.convention,
        data={
            "previous": world.convention.__class__.objects.create(
                caf=world.caf,
                name="CTG 2018-2021",
                start_date=datetime.date(2018, 1, 1),
                end_date=datetime.date(2021, 12, 31),
            )
        },
        expected_version=1,
        by=world.caf_staff,
    )
    entries = entries_of(world.convention)
    assert entries[0]["object"] == "Convention"
    assert entries[0]["changes"] == [
        {"field": "convention précédente", "old": "", "new": "CTG 2018-2021"}
    ]
    dates = [e["date"] for e in entries]
    assert dates == sorted(dates, reverse=True)


def test_transitions_show_their_reason(world, login):
    convention = world.convention
    convention.signed_on = datetime.date(2022, 1, 10)
    convention.save()
    convention_services.convention_advance(
        convention=convention,
        to_phase=Convention.Phase.EVALUATION,
        by=world.caf_staff,
        reason="Bilan à mi-parcours",
    )
    html = unescape(
        login(world.elected).get(reverse("portal:history", args=[convention.pk])).content.decode()
    )
    assert "Mise en œuvre → Évaluation : Bilan à mi-parcours" in html
    assert "<strong>Phase</strong> : Mise en œuvre → Évaluation" in html


def test_the_history_tab_is_paginated(world, login):
    signatory = world.convention.signatories.first()
    for index in range(55):
        signatory.representative_title = f"Titre {index}"
        signatory.save()
    client = login(world.caf_staff)
    url = reverse("portal:history", args=[world.convention.pk])
    page = client.get(url).context["page"]
    assert len(page.object_list) == 50
    assert page.paginator.num_pages == 2
    assert page.object_list[0]["changes"] == [
        {"field": "qualité", "old": "Titre 53", "new": "Titre 54"}
    ]
    second = client.get(url, {"page": 2}).context["page"]
    assert second.number == 2 and second.object_list


@pytest.mark.parametrize("rounds", [2, 12])
def test_the_history_tab_runs_a_bounded_number_of_queries(
    world, login, rounds, django_assert_max_num_queries
):
    convention = world.convention
    convention.territories.set([world.commune, world.epci])
    diagnostic = DiagnosticFactory(convention=convention)
    for index in range(rounds):
        signatory = SignatoryFactory(
            convention=convention, collectivity=None, partner_name=f"P{index}"
        )
        signatory.representative_name = "X"
        signatory.save()
        member = CommitteeMemberFactory(committee=world.committee, name=f"M{index}")
        member.function = "Élu"
        member.save()
        finding = FindingFactory(diagnostic=diagnostic)
        finding.text = f"Constat {index}"
        finding.save()
        TerritoryStatisticFactory(collectivity=world.commune, year=2000 + index)
    client = login(world.caf_staff)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("portal:history", args=[convention.pk]))
    assert response.status_code == 200


def test_a_year_reads_as_a_year_in_the_history(world):
    """The horizon year showed « 2 024 » (a grouped number) in the Historique tab."""
    convention = world.convention
    convention.horizon_year = 2024
    convention.save()
    convention.horizon_year = 2025
    convention.save()
    changes = [c for e in entries_of(convention) for c in e["changes"]]
    change = next(c for c in changes if c["old"] == "2024")
    assert change["new"] == "2025"
