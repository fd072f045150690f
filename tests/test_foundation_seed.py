"""``seed_demo``: idempotent, harmless to existing data, and faithful to the two seed texts."""

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionSheet, Approval
from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Signatory,
    User,
    siren_is_valid,
)
from conventions.permissions import conventions_visible_to
from conventions.selectors import committees_with_parity
from evaluation.models import ChangeSought, Indicator, Measurement, Observation
from portal.demo import DEMO_PASSWORD, QRGA_NAME, SORBIERS_NAME
from tests.conftest import PASSWORD

DEMO_EMAILS = [
    "admin@ctg.example",
    "agent.caf82@ctg.example",
    "agent.caf42@ctg.example",
    "coordination@ctg.example",
    "elu@ctg.example",
    "copil.caf@ctg.example",
    "copil.territoire@ctg.example",
    "invite@ctg.example",
]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def snapshot() -> dict[str, dict[int, dict]]:
    """Every row of every model, as a dict of its fields (timestamps included)."""
    return {
        model._meta.label: {
            obj.pk: model_to_dict(obj, fields=[f.name for f in model._meta.concrete_fields])
            for obj in model._default_manager.all()
        }
        for model in apps.get_models()
        if not model._meta.label.startswith(("sessions.", "admin."))
    }


@pytest.fixture
def demo(db):
    seed()
    return {
        "qrga": Convention.objects.get(name=QRGA_NAME),
        "sorbiers": Convention.objects.get(name=SORBIERS_NAME),
    }


# --- Idempotence ------------------------------------------------------------------------------


def test_running_the_seed_twice_changes_nothing(db):
    seed()
    before = snapshot()
    first_counts = counts()
    output = seed()
    assert counts() == first_counts
    assert snapshot() == before
    assert "aucun changement" in output


def test_the_seed_creates_something_in_every_domain_table_the_demo_needs(db):
    seed()
    empty = [label for label, n in counts().items() if n == 0]
    for label in [
        "conventions.Caf",
        "conventions.Collectivity",
        "conventions.Convention",
        "conventions.Signatory",
        "conventions.Committee",
        "conventions.CommitteeMember",
        "conventions.Meeting",
        "diagnostics.Diagnostic",
        "diagnostics.Finding",
        "diagnostics.TerritoryStatistic",
        "diagnostics.Facility",
        "actions.Stake",
        "actions.Objective",
        "actions.ActionSheet",
        "actions.ActionSheetTransition",
        "actions.FundingLine",
        "actions.Approval",
        "evaluation.Indicator",
        "evaluation.Measurement",
        "evaluation.ChangeSought",
        "evaluation.ProgressMarker",
        "evaluation.Observation",
    ]:
        assert label not in empty


def test_the_seed_on_a_database_with_data_neither_deletes_nor_duplicates_nor_modifies(world):
    before = snapshot()
    before_counts = counts()
    seed()
    after = snapshot()
    # Nothing that existed was deleted or modified.
    for label, rows in before.items():
        for pk, fields in rows.items():
            assert after[label].get(pk) == fields, (label, pk)
    # The Cafs and communes of the world are reused, not duplicated.
    assert Caf.objects.filter(department_code__in=["82", "42"]).count() == 2
    assert Collectivity.objects.filter(kind="commune", code="42302").count() == 1
    assert Collectivity.objects.filter(kind="commune", code="82090").count() == 1
    assert Convention.objects.filter(name=world.convention.name).count() == 1
    assert Convention.objects.filter(name=world.other_convention.name).count() == 1
    # The world's people still log in with their own password.
    assert User.objects.get(pk=world.caf_staff.pk).check_password(PASSWORD)
    # And a second run on that database changes nothing either.
    seeded_counts = counts()
    assert seeded_counts != before_counts
    seed()
    assert counts() == seeded_counts


def test_the_seed_prints_the_logins_in_french_at_every_run(db):
    for output in (seed(), seed()):
        assert f"mot de passe commun : {DEMO_PASSWORD}" in output
        for email in DEMO_EMAILS:
            assert email in output


def test_the_seed_does_not_reset_a_password_changed_since(db):
    seed()
    user = User.objects.get(email="elu@ctg.example")
    user.set_password("un-autre-mot-de-passe")
    user.save()
    output = seed()
    user.refresh_from_db()
    assert user.check_password("un-autre-mot-de-passe")
    assert "mot de passe modifié depuis" in output


# --- Content: QRGA ------------------------------------------------------------------------------


def test_qrga_is_signed_on_15_december_2021_with_horizon_2024_and_2025(demo):
    qrga = demo["qrga"]
    assert qrga.caf.department_code == "82"
    assert qrga.caf.name == "Caf de Tarn-et-Garonne"
    assert qrga.signed_on == datetime.date(2021, 12, 15)
    assert qrga.end_date.year == 2024
    assert qrga.horizon_year == 2025
    assert "2024" in qrga.vision and "2025" in qrga.vision
    assert qrga.phase == Convention.Phase.IMPLEMENTATION
    qrga.full_clean()


def test_qrga_covers_the_seven_thematics_of_the_text(demo):
    codes = set(demo["qrga"].thematics.values_list("code", flat=True))
    assert codes == {
        "enfance",
        "jeunesse",
        "parentalite",
        "acces-aux-droits",
        "inclusion-numerique",
        "logement",
        "accompagnement-social",
        "animation-vie-sociale",
    }


def test_qrga_epci_has_a_valid_siren_and_17_communes_of_tarn_et_garonne(demo):
    epci = Collectivity.objects.get(
        kind=Collectivity.Kind.EPCI, signatures__convention=demo["qrga"]
    )
    assert siren_is_valid(epci.code)
    communes = list(epci.member_communes.all())
    assert len(communes) == 17
    assert len({c.code for c in communes}) == 17
    assert all(c.code.startswith("82") for c in communes)
    for commune in communes:
        commune.full_clean()
    names = {c.name for c in communes}
    assert {"Parisot", "Laguépie", "Saint-Antonin-Noble-Val"} <= names
    assert set(demo["qrga"].territories.all()) == {epci, *communes}


def test_qrga_signatories_are_the_caf_the_epci_and_three_communes(demo):
    signatories = list(Signatory.objects.filter(convention=demo["qrga"]))
    assert {s.organisation_name for s in signatories} == {
        "Caf de Tarn-et-Garonne",
        "Communauté de communes Quercy Rouergue Gorges de l'Aveyron",
        "Parisot",
        "Laguépie",
        "Saint-Antonin-Noble-Val",
    }
    assert all(s.signed_on == datetime.date(2021, 12, 15) for s in signatories)
    caf = next(s for s in signatories if s.caf_id)
    assert caf.representative_name == "Xavier Renier"
    assert "président du conseil d'administration" in caf.representative_title
    assert "Charlotte Hubert-Boyer" in caf.representative_title


def test_qrga_has_a_copil_with_demo_members_on_each_side_and_a_technical_committee(demo):
    committees = {c.kind: c for c in demo["qrga"].committees.all()}
    assert set(committees) == {Committee.Kind.COPIL, Committee.Kind.TECHNICAL}
    copil = committees[Committee.Kind.COPIL]
    caf_member = CommitteeMember.objects.get(committee=copil, user__email="copil.caf@ctg.example")
    territory_member = CommitteeMember.objects.get(
        committee=copil, user__email="copil.territoire@ctg.example"
    )
    assert caf_member.side == Side.CAF
    assert territory_member.side == Side.TERRITORY
    names = set(copil.members.values_list("name", flat=True))
    assert {"Xavier Renier", "Charlotte Hubert-Boyer"} <= names


def test_qrga_follows_the_change_oriented_method(demo):
    changes = ChangeSought.objects.filter(convention=demo["qrga"])
    assert changes.exists()
    for change in changes:
        assert {m.level for m in change.markers.all()} == {"attendu", "souhaite", "ideal"}
    assert Observation.objects.filter(marker__change__convention=demo["qrga"]).exists()


# --- Content: Sorbiers --------------------------------------------------------------------------


def test_sorbiers_is_a_four_year_convention_of_the_caf_de_la_loire(demo):
    sorbiers = demo["sorbiers"]
    assert sorbiers.caf.department_code == "42"
    assert sorbiers.caf.name == "Caf de la Loire"
    assert sorbiers.end_date.year - sorbiers.start_date.year + 1 == 4
    assert sorbiers.duration_years == 4.0
    assert sorbiers.phase in (Convention.Phase.ACTION_PLAN, Convention.Phase.DIAGNOSTIC)
    commune = Collectivity.objects.get(kind="commune", code="42302")
    assert commune.name == "Sorbiers"
    assert Signatory.objects.filter(convention=sorbiers, collectivity=commune).exists()


def test_sorbiers_committee_lists_five_territory_and_four_caf_members_and_is_not_balanced(demo):
    (committee,) = committees_with_parity(convention=demo["sorbiers"])
    assert committee.territory_count == 5
    assert committee.caf_count == 4
    assert committee.is_balanced is False
    functions = " ".join(committee.members.values_list("name", flat=True))
    assert "Directeur général des services" in functions
    assert "Enfance jeunesse éducation" in functions


def test_the_governance_page_warns_about_sorbiers_parity(demo, client):
    client.force_login(User.objects.get(email="agent.caf42@ctg.example"))
    page = client.get(reverse("conventions:governance", args=[demo["sorbiers"].pk]))
    assert page.status_code == 200
    assert "Parité non respectée" in page.content.decode()


# --- Content: both ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["qrga", "sorbiers"])
def test_each_convention_has_a_diagnostic_with_findings_and_statistics(demo, key):
    convention = demo[key]
    diagnostic = convention.diagnostic
    assert diagnostic.findings.count() >= 5
    thematics = set(diagnostic.findings.values_list("thematic__code", flat=True))
    assert len(thematics) >= 5
    territories = convention.territories.all()
    years = set()
    for territory in territories:
        years |= set(territory.statistics.values_list("year", flat=True))
    assert len(years) >= 2
    assert convention.objectives.exists()


@pytest.mark.parametrize("key", ["qrga", "sorbiers"])
def test_each_convention_has_five_to_eight_fiches_with_indicators_and_funding(demo, key):
    sheets = list(ActionSheet.objects.filter(convention=demo[key]))
    assert 5 <= len(sheets) <= 8
    for sheet in sheets:
        assert sheet.indicators.exists(), sheet.number
        sheet.full_clean()
    assert sum(sheet.funding_lines.count() for sheet in sheets) >= 4
    assert Measurement.objects.filter(indicator__action_sheet__convention=demo[key]).exists()


def test_the_fiches_cover_every_status_of_the_workflow(demo):
    statuses = set(ActionSheet.objects.values_list("status", flat=True))
    assert {"brouillon", "soumise", "validee", "en_cours", "realisee"} <= statuses


def test_approved_fiches_have_one_favorable_opinion_per_side_on_their_current_version(demo):
    approved = ActionSheet.objects.filter(status__in=["validee", "en_cours", "realisee"])
    assert approved.count() >= 4
    for sheet in approved:
        assert sheet.approved_version == sheet.version
        sides = set(
            Approval.objects.filter(
                sheet=sheet, version=sheet.version, decision="favorable"
            ).values_list("member__side", flat=True)
        )
        assert sides == {Side.CAF, Side.TERRITORY}, sheet
    for sheet in ActionSheet.objects.exclude(status__in=["validee", "en_cours", "realisee"]):
        assert sheet.approved_version is None


def test_fiches_in_progress_have_measurements_on_their_indicators(demo):
    for sheet in ActionSheet.objects.filter(status__in=["en_cours", "realisee"]):
        assert Measurement.objects.filter(indicator__action_sheet=sheet).count() >= 1
    indicators = Indicator.objects.filter(action_sheet__convention=demo["qrga"])
    assert any(i.measurements.count() >= 2 for i in indicators)


@pytest.mark.parametrize("key", ["qrga", "sorbiers"])
def test_each_convention_has_a_past_meeting_with_minutes_and_an_upcoming_one(demo, key):
    now = timezone.now()
    meetings = [m for c in demo[key].committees.all() for m in c.meetings.all()]
    past = [m for m in meetings if m.date < now]
    upcoming = [m for m in meetings if m.date > now]
    assert past and all(m.minutes for m in past)
    assert upcoming


# --- Demo users ----------------------------------------------------------------------------------


def test_every_demo_user_logs_in_through_the_form_with_the_demo_password(demo, client):
    for email in DEMO_EMAILS:
        response = client.post(
            reverse("login"), {"username": email, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.status_code == 200
        assert response.context["user"].email == email, email
        client.post(reverse("logout"))


def test_demo_users_have_one_role_each_and_the_right_scope(demo):
    users = {u.email: u for u in User.objects.filter(email__in=DEMO_EMAILS)}
    qrga, sorbiers = demo["qrga"], demo["sorbiers"]

    def visible(email):
        return set(conventions_visible_to(users[email]))

    assert users["admin@ctg.example"].is_superuser
    assert visible("admin@ctg.example") == {qrga, sorbiers}
    assert users["agent.caf82@ctg.example"].role == User.Role.CAF_STAFF
    assert visible("agent.caf82@ctg.example") == {qrga}
    assert users["agent.caf42@ctg.example"].role == User.Role.CAF_STAFF
    assert visible("agent.caf42@ctg.example") == {sorbiers}
    coordinator = users["coordination@ctg.example"]
    assert coordinator.role == User.Role.COORDINATOR
    assert coordinator.collectivity.kind == Collectivity.Kind.EPCI
    assert visible("coordination@ctg.example") == {qrga}
    elected = users["elu@ctg.example"]
    assert elected.role == User.Role.ELECTED
    assert Signatory.objects.filter(convention=qrga, collectivity=elected.collectivity).exists()
    assert visible("elu@ctg.example") == {qrga}
    assert visible("copil.caf@ctg.example") == {qrga}
    assert visible("copil.territoire@ctg.example") == {qrga}
    assert visible("invite@ctg.example") == set()


def test_the_demo_elected_official_finds_the_qrga_synthese_at_home(demo, client):
    client.force_login(User.objects.get(email="elu@ctg.example"))
    response = client.get(reverse("home"))
    assert reverse("portal:detail", args=[demo["qrga"].pk]) in response.content.decode()


def test_the_qrga_pages_show_the_signature_and_the_caf_representative(demo, client):
    client.force_login(User.objects.get(email="copil.caf@ctg.example"))
    for name in ["portal:detail", "conventions:governance"]:
        response = client.get(reverse(name, args=[demo["qrga"].pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "15 décembre 2021" in page
        assert "Xavier Renier" in page
    synthese = client.get(reverse("portal:detail", args=[demo["qrga"].pk])).content.decode()
    # A year is not a quantity: no thousands separator.
    assert ">2025</dd>" in synthese
    assert "2\xa0025" not in synthese and "2 025" not in synthese
