"""Pages of the action plan: list, editor, fiche page, workflow buttons, inbox, export."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from actions import services
from actions.factories import ActionSheetFactory, FundingLineFactory, ObjectiveFactory
from actions.models import ActionSheet, Approval, Objective
from conventions.factories import CommitteeFactory, CommitteeMemberFactory
from conventions.models import Committee, Side, User
from ctg.spreadsheets import DATE_FORMAT, EURO_FORMAT
from diagnostics.factories import DiagnosticFactory, FindingFactory, thematic
from evaluation.models import Indicator
from portal.context_processors import MenuEntry, navigation

Status = ActionSheet.Status
EDITORS = ["caf_staff", "coordinator"]
READERS_ONLY = ["elected", "member_caf", "member_territory"]
OUT_OF_SCOPE = ["other_caf_staff", "other_elected", "outsider"]


@pytest.fixture
def sheet(world):
    sheet = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance",
        lead="CC des Deux Rives",
        description="Ouvrir un relais itinérant",
    )
    FundingLineFactory(
        sheet=sheet, funder="Caf", year=2023, planned_amount=10000, spent_amount=2500
    )
    FundingLineFactory(sheet=sheet, funder="Caf", year=2024, planned_amount=5000, spent_amount=0)
    FundingLineFactory(sheet=sheet, funder="Département", year=2023, planned_amount=3000)
    return sheet


def norm(text: str) -> str:
    """Localised numbers use non-breaking spaces as thousand separators."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def sheet_url(world, sheet, name="actions:sheet"):
    return reverse(name, kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk})


def form_data(world, **overrides):
    data = {
        "number": "",
        "title": "Accueil de loisirs du mercredi",
        "thematic": thematic("enfance").pk,
        "context": "Peu d'offre le mercredi",
        "goals": "Ouvrir 24 places",
        "description": "Un ALSH intercommunal",
        "target_public": "Enfants de 3 à 11 ans",
        "lead": "CC des Deux Rives",
        "partners": "Familles rurales",
        "communes": [world.commune.pk],
        "start_date": "2023-09-01",
        "end_date": "2025-06-30",
        "expected_results": "24 places ouvertes",
        "financement-TOTAL_FORMS": "1",
        "financement-INITIAL_FORMS": "0",
        "financement-0-funder": "Caf",
        "financement-0-year": "2024",
        "financement-0-planned_amount": "12 000,50",
        "financement-0-spent_amount": "0",
        "indicateurs-TOTAL_FORMS": "1",
        "indicateurs-INITIAL_FORMS": "0",
        "indicateurs-0-name": "Places ouvertes",
        "indicateurs-0-kind": "realisation",
        "indicateurs-0-unit": "places",
        "indicateurs-0-baseline_value": "0",
        "indicateurs-0-baseline_date": "2023-01-01",
        "indicateurs-0-target_value": "24",
        "indicateurs-0-target_date": "2025-06-30",
        "indicateurs-0-direction": "hausse",
        "indicateurs-0-source": "Gestionnaire",
        "indicateurs-0-frequency": "yearly",
    }
    data.update(overrides)
    return data


def edit_data(world, sheet, **overrides):
    """The POST of the edit form as loaded now (existing funding lines kept)."""
    sheet.refresh_from_db()
    lines = list(sheet.funding_lines.order_by("id"))
    data = form_data(world)
    data.update(
        {
            "number": sheet.number,
            "title": sheet.title,
            "thematic": sheet.thematic_id,
            "description": sheet.description,
            "lead": sheet.lead,
            "communes": [],
            "start_date": sheet.start_date.isoformat(),
            "end_date": sheet.end_date.isoformat(),
            "revision": sheet.revision,
            "context": sheet.context,
            "goals": sheet.goals,
            "target_public": sheet.target_public,
            "partners": sheet.partners,
            "expected_results": sheet.expected_results,
            "financement-TOTAL_FORMS": str(len(lines)),
            "financement-INITIAL_FORMS": str(len(lines)),
            "indicateurs-TOTAL_FORMS": "0",
            "indicateurs-INITIAL_FORMS": "0",
        }
    )
    for i, line in enumerate(lines):
        data.update(
            {
                f"financement-{i}-id": line.pk,
                f"financement-{i}-sheet": sheet.pk,
                f"financement-{i}-funder": line.funder,
                f"financement-{i}-year": line.year,
                f"financement-{i}-planned_amount": str(line.planned_amount).replace(".", ","),
                f"financement-{i}-spent_amount": str(line.spent_amount).replace(".", ","),
            }
        )
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("role", EDITORS + READERS_ONLY + ["superuser"])
def test_the_fiche_page_opens_for_every_role_in_scope(world, login, sheet, role):
    response = login(getattr(world, role)).get(sheet_url(world, sheet))
    assert response.status_code == 200
    content = response.content.decode()
    assert "FA-01 — Relais petite enfance" in content
    assert "Brouillon" in content


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
@pytest.mark.parametrize("name", ["actions:sheet", "actions:sheet_update"])
def test_fiche_pages_are_404_out_of_scope(world, login, sheet, role, name):
    assert login(getattr(world, role)).get(sheet_url(world, sheet, name)).status_code == 404


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_it_answers_404_out_of_scope_for_writes_too(world, login, sheet, role):
    client = login(getattr(world, role))
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "submit"])
    assert client.post(url).status_code == 404
    assert client.post(sheet_url(world, sheet, "actions:sheet_opinion")).status_code == 404
    assert (
        client.get(reverse("actions:sheet_create", args=[world.convention.pk])).status_code == 404
    )
    assert client.get(reverse("actions:export", args=[world.convention.pk])).status_code == 404


def test_a_fiche_of_another_convention_is_404(world, login):
    foreign = ActionSheetFactory(ready=True, convention=world.other_convention)
    url = reverse("actions:sheet", kwargs={"pk": world.convention.pk, "sheet_id": foreign.pk})
    assert login(world.caf_staff).get(url).status_code == 404


@pytest.mark.parametrize(
    "name,args",
    [
        ("actions:sheet", "sheet"),
        ("actions:sheet_update", "sheet"),
        ("actions:sheet_create", "convention"),
        ("actions:export", "convention"),
        ("actions:inbox", None),
    ],
)
def test_anonymous_visitors_are_sent_to_login(world, client, sheet, name, args):
    if args == "sheet":
        url = sheet_url(world, sheet, name)
    elif args == "convention":
        url = reverse(name, args=[world.convention.pk])
    else:
        url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_may_not_edit_or_move_fiches(world, login, sheet, role):
    client = login(getattr(world, role))
    assert (
        client.get(reverse("actions:sheet_create", args=[world.convention.pk])).status_code == 403
    )
    assert client.get(sheet_url(world, sheet, "actions:sheet_update")).status_code == 403
    assert client.post(sheet_url(world, sheet, "actions:sheet_update"), {}).status_code == 403
    for action in ("submit", "start", "complete", "abandon"):
        url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, action])
        assert client.post(url, {"reason": "x"}).status_code == 403
    sheet.refresh_from_db()
    assert sheet.status == Status.DRAFT
    content = client.get(sheet_url(world, sheet)).content.decode()
    assert "Modifier" not in content and "Soumettre au comité" not in content


@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "elected"])
def test_only_members_of_the_approving_committee_give_opinions(world, login, sheet, role):
    services.action_sheet_submit(sheet=sheet, by=world.superuser)
    response = login(getattr(world, role)).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "favorable"}
    )
    assert response.status_code == 403
    assert not Approval.objects.exists()


def test_a_seat_on_a_committee_that_does_not_examine_fiches_gives_no_opinion(world, login, sheet):
    technical = CommitteeFactory(convention=world.convention, kind=Committee.Kind.TECHNICAL)
    CommitteeMemberFactory(committee=technical, side=Side.CAF, user=world.other_caf_staff)
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    response = login(world.other_caf_staff).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "favorable"}
    )
    assert response.status_code == 403


def test_a_member_of_another_conventions_committee_cannot_reach_the_fiche(world, login, sheet):
    CommitteeMemberFactory(committee=world.other_committee, side=Side.CAF, user=world.outsider)
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    response = login(world.outsider).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "favorable"}
    )
    assert response.status_code == 404
    assert not Approval.objects.exists()


# --------------------------------------------------------------------------- editor


@pytest.mark.parametrize("role", EDITORS)
def test_editors_create_a_fiche_with_its_funding_and_indicators(world, login, role):
    client = login(getattr(world, role))
    page = client.get(reverse("actions:sheet_create", args=[world.convention.pk]))
    assert page.status_code == 200
    assert 'value="FA-01"' in page.content.decode()
    response = client.post(
        reverse("actions:sheet_create", args=[world.convention.pk]), form_data(world)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    sheet = ActionSheet.objects.get(convention=world.convention)
    assert sheet.number == "FA-01"
    assert sheet.created_by == getattr(world, role)
    assert list(sheet.communes.all()) == [world.commune]
    line = sheet.funding_lines.get()
    assert (line.funder, line.year, line.planned_amount) == ("Caf", 2024, Decimal("12000.50"))
    indicator = Indicator.objects.get(action_sheet=sheet)
    assert (indicator.name, indicator.target_value) == ("Places ouvertes", Decimal("24"))
    assert response["Location"] == sheet_url(world, sheet)


def test_the_next_number_follows_the_highest_of_the_convention(world, login):
    ActionSheetFactory(ready=True, convention=world.convention, number="FA-01")
    ActionSheetFactory(ready=True, convention=world.convention, number="FA-07")
    ActionSheetFactory(ready=True, convention=world.other_convention, number="FA-30")
    page = login(world.coordinator).get(reverse("actions:sheet_create", args=[world.convention.pk]))
    assert 'value="FA-08"' in page.content.decode()


def test_it_refuses_a_number_already_used_in_the_convention(world, login, sheet):
    response = login(world.coordinator).post(
        reverse("actions:sheet_create", args=[world.convention.pk]),
        form_data(world, number="fa-01"),
    )
    assert response.status_code == 200
    assert "Ce numéro de fiche est déjà utilisé dans la convention." in response.content.decode()
    assert ActionSheet.objects.filter(convention=world.convention).count() == 1


def test_the_same_number_is_fine_in_another_convention(world, login):
    ActionSheetFactory(ready=True, convention=world.other_convention, number="FA-01")
    response = login(world.coordinator).post(
        reverse("actions:sheet_create", args=[world.convention.pk]),
        form_data(world, number="FA-01"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"end_date": "2023-01-01"}, "La fin de l&#x27;action ne peut pas précéder son début."),
        ({"financement-0-planned_amount": "-5"}, "Le montant ne peut pas être négatif."),
        ({"financement-0-spent_amount": "beaucoup"}, "Saisissez un nombre."),
        ({"indicateurs-0-target_date": "2022-01-01"}, "L’échéance de la cible doit suivre"),
        ({"title": ""}, "Ce champ est obligatoire."),
    ],
)
def test_it_refuses_bad_input_and_saves_nothing(world, login, overrides, message):
    response = login(world.caf_staff).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), form_data(world, **overrides)
    )
    assert response.status_code == 200
    content = response.content.decode().replace("&#x27;", "’")
    assert message.replace("&#x27;", "’") in content
    assert not ActionSheet.objects.exists()
    assert not Indicator.objects.exists()


def test_it_refuses_two_lines_for_the_same_funder_and_year(world, login):
    data = form_data(
        world,
        **{
            "financement-TOTAL_FORMS": "2",
            "financement-1-funder": "caf",
            "financement-1-year": "2024",
            "financement-1-planned_amount": "10",
            "financement-1-spent_amount": "0",
        },
    )
    response = login(world.caf_staff).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), data
    )
    assert response.status_code == 200
    assert "a deux lignes pour l&#x27;année 2024" in response.content.decode()
    assert not ActionSheet.objects.exists()


def test_an_edit_with_a_stale_revision_is_refused_and_overwrites_nothing(world, login, sheet):
    client = login(world.coordinator)
    stale = edit_data(world, sheet, title="Titre de Corinne")
    # Meanwhile Claire saves the fiche.
    claire = login(world.caf_staff).post(
        sheet_url(world, sheet, "actions:sheet_update"),
        edit_data(world, sheet, title="Titre de Claire"),
    )
    assert claire.status_code == 302
    client.force_login(world.coordinator)
    response = client.post(sheet_url(world, sheet, "actions:sheet_update"), stale)
    assert response.status_code == 200
    assert "modifiée par quelqu&#x27;un d&#x27;autre" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.title == "Titre de Claire"


def test_an_edit_keeps_existing_lines_and_deletes_the_ticked_ones(world, login, sheet):
    data = edit_data(
        world, sheet, **{"financement-2-DELETE": "on", "financement-0-spent_amount": "3000"}
    )
    response = login(world.coordinator).post(sheet_url(world, sheet, "actions:sheet_update"), data)
    assert response.status_code == 302
    lines = {(li.funder, li.year): li for li in sheet.funding_lines.all()}
    assert set(lines) == {("Caf", 2023), ("Caf", 2024)}
    assert lines[("Caf", 2023)].spent_amount == Decimal("3000")


def validate(world, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    services.approval_give(sheet=sheet, member=world.caf_seat, decision="favorable")
    services.approval_give(sheet=sheet, member=world.territory_seat, decision="favorable")
    sheet.refresh_from_db()


def test_a_substantive_edit_of_a_validated_fiche_asks_for_a_reason(world, login, sheet):
    validate(world, sheet)
    client = login(world.coordinator)
    page = client.get(sheet_url(world, sheet, "actions:sheet_update")).content.decode()
    assert "Motif de la modification" in page
    response = client.post(
        sheet_url(world, sheet, "actions:sheet_update"),
        edit_data(world, sheet, title="Relais itinérant"),
    )
    assert response.status_code == 200
    assert "indiquez le motif" in response.content.decode()
    sheet.refresh_from_db()
    assert (sheet.title, sheet.version) == ("Relais petite enfance", 1)


def test_the_fiche_page_shows_the_changes_since_the_approved_version(world, login, sheet):
    validate(world, sheet)
    client = login(world.coordinator)
    response = client.post(
        sheet_url(world, sheet, "actions:sheet_update"),
        edit_data(
            world,
            sheet,
            title="Relais itinérant",
            change_reason="Le relais devient itinérant",
            **{"financement-0-planned_amount": "11000"},
        ),
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.version, sheet.status, sheet.approved_version) == (2, Status.SUBMITTED, 1)
    content = client.get(sheet_url(world, sheet)).content.decode()
    assert "Changements depuis la version validée (v1)" in content
    assert "Le relais devient itinérant" in content
    assert "Relais petite enfance" in content and "Relais itinérant" in content
    assert "Financement modifié : Caf 2023" in content


# --------------------------------------------------------------------------- fiche page


def test_the_fiche_page_shows_totals_per_funder_approvals_and_history(world, login, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    services.approval_give(
        sheet=sheet, member=world.caf_seat, decision="a_revoir", comment="Préciser le public"
    )
    content = login(world.coordinator).get(sheet_url(world, sheet)).content.decode()
    totals = norm(content.split('id="totaux-financeurs"')[1].split("</table>")[0])
    assert (
        '<td>Caf</td><td class="text-end">15 000,00 €</td><td class="text-end">2 500,00 €' in totals
    )
    assert '<td>Département</td><td class="text-end">3 000,00 €' in totals
    assert '<td>Total</td><td class="text-end">18 000,00 €' in totals
    assert "À revoir" in content
    assert "« Préciser le public »" in content
    assert "Marc Caf" in content
    assert "Historique des modifications" in content
    assert "Financement Caf 2023" in content
    assert "Soumise → <strong>À revoir</strong>" in content


def test_the_history_names_who_changed_what_in_french(world, login, sheet):
    login(world.caf_staff).post(
        sheet_url(world, sheet, "actions:sheet_update"),
        edit_data(world, sheet, title="Nouveau titre"),
    )
    content = login(world.caf_staff).get(sheet_url(world, sheet)).content.decode()
    history = content.split("Historique des modifications")[1]
    assert "Claire" in history
    assert "Intitulé" in history and "Nouveau titre" in history


# --------------------------------------------------------------------------- workflow through the pages


@pytest.mark.parametrize("role", EDITORS)
def test_editors_submit_a_fiche_from_its_page(world, login, sheet, role):
    response = login(getattr(world, role)).post(
        reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "submit"]),
        follow=True,
    )
    assert "Fiche FA-01 soumise au comité." in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED


def test_a_refused_transition_is_explained_in_french(world, login, sheet):
    response = login(world.coordinator).post(
        reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "start"]),
        follow=True,
    )
    assert "Impossible de démarrer une fiche « brouillon »" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.DRAFT


def test_abandoning_from_the_page_needs_a_reason(world, login, sheet):
    client = login(world.caf_staff)
    url = reverse("actions:sheet_transition", args=[world.convention.pk, sheet.pk, "abandon"])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Indiquez le motif de l&#x27;abandon" in response.content.decode()
    client.post(url, {"reason": "Financement retiré"})
    sheet.refresh_from_db()
    assert (sheet.status, sheet.status_reason) == (Status.ABANDONED, "Financement retiré")


def test_members_of_both_sides_approve_from_the_fiche_page(world, login, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    page = login(world.member_caf).get(sheet_url(world, sheet)).content.decode()
    assert "Enregistrer mon avis" in page and "collège <strong>caf</strong>" in page
    response = login(world.member_caf).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "favorable"}, follow=True
    )
    assert "Avis « favorable » enregistré." in response.content.decode()
    assert "Vous avez déjà donné votre avis sur la version 1 de cette fiche." in (
        response.content.decode()
    )
    response = login(world.member_territory).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "favorable"}, follow=True
    )
    assert "la fiche FA-01 est validée" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.VALIDATED


def test_a_second_opinion_from_the_page_is_refused_with_a_message(world, login, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    client = login(world.member_caf)
    url = sheet_url(world, sheet, "actions:sheet_opinion")
    client.post(url, {"decision": "favorable"})
    response = client.post(url, {"decision": "favorable"}, follow=True)
    assert "Vous avez déjà donné votre avis sur la version 1" in response.content.decode()
    assert Approval.objects.count() == 1


def test_asking_for_changes_without_comment_is_refused(world, login, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    response = login(world.member_territory).post(
        sheet_url(world, sheet, "actions:sheet_opinion"), {"decision": "a_revoir"}, follow=True
    )
    assert "doit être motivé par un commentaire" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == Status.SUBMITTED


# --------------------------------------------------------------------------- inbox


def test_the_inbox_lists_fiches_waiting_for_the_members_opinion(world, login, sheet):
    other = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-02", title="Ludothèque"
    )
    ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-03", title="Brouillon caché"
    )
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    services.action_sheet_submit(sheet=other, by=world.coordinator)
    client = login(world.member_caf)
    content = client.get(reverse("actions:inbox")).content.decode()
    assert "FA-01 — Relais petite enfance" in content and "FA-02 — Ludothèque" in content
    assert "Brouillon caché" not in content
    assert "À examiner" in content
    assert '<span class="visually-hidden">2 fiches en attente de votre avis</span>' in content
    services.approval_give(sheet=sheet, member=world.caf_seat, decision="favorable")
    content = client.get(reverse("actions:inbox")).content.decode()
    assert "Relais petite enfance" not in content and "Ludothèque" in content
    # The other side still has both to examine.
    content = login(world.member_territory).get(reverse("actions:inbox")).content.decode()
    assert "Relais petite enfance" in content and "Ludothèque" in content


def test_the_inbox_is_empty_for_people_outside_the_committees(world, login, sheet):
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    content = login(world.caf_staff).get(reverse("actions:inbox")).content.decode()
    assert "Aucune fiche n'attend votre avis." in content
    assert "actions/a-examiner" not in content and 'href="/a-examiner/"' not in content


def test_the_navigation_count_is_counted_once_per_version_of_the_members_conventions(
    world, rf, sheet, settings
):
    settings.FRAGMENT_CACHE_SECONDS = 3600
    cache.clear()
    services.action_sheet_submit(sheet=sheet, by=world.coordinator)
    request = rf.get("/")
    request.user = world.member_territory
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    assert context["nav_review_count"] == 1 and context["nav_is_committee_member"] is True
    # is_caf_staff needs none; a seat? its seats, their conventions' versions; the count
    assert len(queries) == 4
    request.user = User.objects.get(pk=world.member_territory.pk)  # the next request
    with CaptureQueriesContext(connection) as queries:
        assert navigation(request)["nav_review_count"] == 1
    assert len(queries) == 3  # the count from the cache
    request.user = world.elected
    context = navigation(request)
    assert context["nav_review_count"] == 0 and context["nav_is_committee_member"] is False


def test_the_navigation_query_count_does_not_grow_with_fiches(world, rf):
    request = rf.get("/")
    request.user = world.member_caf
    for i in range(30):
        s = ActionSheetFactory(ready=True, convention=world.convention, number=f"FA-{i + 10}")
        services.action_sheet_submit(sheet=s, by=world.coordinator)
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    assert context["nav_review_count"] == 30
    assert len(queries) == 4  # has a seat; its seats; their conventions' versions; the count


def test_the_navigation_of_someone_without_a_seat_is_one_small_query(world, rf):
    request = rf.get("/")
    request.user = world.elected
    with CaptureQueriesContext(connection) as queries:
        context = navigation(request)
    assert context == {
        "nav_is_caf_staff": False,
        "nav_is_committee_member": False,
        "nav_review_count": 0,
        "nav_menu": [
            MenuEntry(
                "À faire",
                "/",
                current=False,
                icon="bi-check2-square",
                count_label="0 chose à faire",
            ),
            MenuEntry("Mes conventions", "/conventions/", current=False),
        ],
    }
    assert len(queries) == 1


# --------------------------------------------------------------------------- plan, list, filters


def test_the_plan_shows_objectives_with_their_findings(world, login):
    diagnostic = DiagnosticFactory(convention=world.convention)
    finding = FindingFactory(diagnostic=diagnostic, text="Peu de places en crèche")
    general = ObjectiveFactory(convention=world.convention, title="Développer l'accueil")
    general.findings.add(finding)
    ObjectiveFactory(
        convention=world.convention,
        title="Ouvrir une micro-crèche",
        level=Objective.Level.OPERATIONAL,
        parent=general,
        change_sought="Les parents trouvent une place",
    )
    content = (
        login(world.elected)
        .get(reverse("actions:plan", args=[world.convention.pk]))
        .content.decode()
    )
    assert "Développer l&#x27;accueil" in content
    assert "Ouvrir une micro-crèche" in content
    assert "Changement recherché : Les parents trouvent une place" in content
    assert "Peu de places en crèche" in content
    assert "Nouvel objectif" not in content  # elected officials only read


def test_editors_create_an_operational_objective_linked_to_findings(world, login):
    diagnostic = DiagnosticFactory(convention=world.convention)
    finding = FindingFactory(diagnostic=diagnostic, text="Peu de places en crèche")
    FindingFactory(
        diagnostic=diagnostic, text="Isolement des jeunes", thematic=thematic("jeunesse")
    )
    general = ObjectiveFactory(convention=world.convention, title="Développer l'accueil")
    client = login(world.coordinator)
    url = reverse("actions:objective_create", args=[world.convention.pk])
    page = client.get(url).content.decode()
    assert "Petite enfance" in page and "Jeunesse" in page and "Peu de places en crèche" in page
    response = client.post(
        url,
        {
            "thematic": thematic("petite-enfance").pk,
            "level": "operational",
            "parent": general.pk,
            "title": "Ouvrir une micro-crèche",
            "change_sought": "Les parents trouvent une place",
            "findings": [finding.pk],
        },
    )
    assert response.status_code == 302
    objective = Objective.objects.get(title="Ouvrir une micro-crèche")
    assert objective.parent == general and list(objective.findings.all()) == [finding]


def test_a_general_objective_cannot_have_a_parent(world, login):
    general = ObjectiveFactory(convention=world.convention)
    response = login(world.caf_staff).post(
        reverse("actions:objective_create", args=[world.convention.pk]),
        {
            "thematic": thematic("enfance").pk,
            "level": "general",
            "parent": general.pk,
            "title": "X",
        },
    )
    assert response.status_code == 200
    assert "Seul un objectif opérationnel se rattache" in response.content.decode()


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_may_not_edit_objectives(world, login, role):
    objective = ObjectiveFactory(convention=world.convention)
    client = login(getattr(world, role))
    assert (
        client.get(reverse("actions:objective_create", args=[world.convention.pk])).status_code
        == 403
    )
    url = reverse("actions:objective_delete", args=[world.convention.pk, objective.pk])
    assert client.post(url).status_code == 403
    assert Objective.objects.filter(pk=objective.pk).exists()


def test_editors_delete_an_objective_after_confirming(world, login):
    objective = ObjectiveFactory(convention=world.convention, title="À supprimer")
    client = login(world.caf_staff)
    url = reverse("actions:objective_delete", args=[world.convention.pk, objective.pk])
    assert "Supprimer l'objectif « À supprimer » ?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Objective.objects.filter(pk=objective.pk).exists()


@pytest.fixture
def catalogue(world):
    a = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title="Crèche familiale",
        thematic=thematic("petite-enfance"),
        lead="Mairie de Laguépie",
        status=Status.VALIDATED,
    )
    b = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-02",
        title="Point jeunes",
        thematic=thematic("jeunesse"),
        lead="CC des Deux Rives",
        status=Status.DRAFT,
        description="Un local animé pour les ados",
    )
    c = ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-03",
        title="Café des parents",
        thematic=thematic("parentalite"),
        lead="CC des Deux Rives",
        status=Status.SUBMITTED,
    )
    c.other_thematics.add(thematic("jeunesse"))
    FundingLineFactory(sheet=a, funder="Caf", year=2023, planned_amount=5000)
    FundingLineFactory(sheet=b, funder="Caf", year=2023, planned_amount=9000)
    return a, b, c


def listed(response):
    content = response.content.decode()
    return [n for n in ("FA-01", "FA-02", "FA-03") if f">{n}</a>" in content]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({}, ["FA-01", "FA-02", "FA-03"]),
        ({"statut": "brouillon"}, ["FA-02"]),
        ({"pilote": "CC des Deux Rives"}, ["FA-02", "FA-03"]),
        ({"q": "ados"}, ["FA-02"]),
        ({"q": "café"}, ["FA-03"]),
        ({"statut": "n-importe-quoi"}, ["FA-01", "FA-02", "FA-03"]),
    ],
)
def test_the_list_filters_fiches(world, login, catalogue, params, expected):
    response = login(world.coordinator).get(
        reverse("actions:plan", args=[world.convention.pk]), params
    )
    assert listed(response) == expected


def test_the_thematic_filter_includes_secondary_thematics(world, login, catalogue):
    response = login(world.coordinator).get(
        reverse("actions:plan", args=[world.convention.pk]),
        {"thematique": thematic("jeunesse").pk},
    )
    assert listed(response) == ["FA-02", "FA-03"]


def test_the_list_sorts_fiches(world, login, catalogue):
    url = reverse("actions:plan", args=[world.convention.pk])
    client = login(world.coordinator)
    content = client.get(url, {"tri": "-number"}).content.decode()
    assert content.index(">FA-03</a>") < content.index(">FA-02</a>") < content.index(">FA-01</a>")
    content = client.get(url, {"tri": "title"}).content.decode()
    assert (
        content.index("Café des parents")
        < content.index("Crèche familiale")
        < content.index("Point jeunes")
    )
    content = client.get(url, {"tri": "-planned"}).content.decode()
    assert content.index(">FA-02</a>") < content.index(">FA-01</a>") < content.index(">FA-03</a>")


def test_the_list_is_paginated(world, login):
    for i in range(30):
        ActionSheetFactory(ready=True, convention=world.convention, number=f"FA-{i + 1:02d}")
    client = login(world.coordinator)
    url = reverse("actions:plan", args=[world.convention.pk])
    first = client.get(url).content.decode()
    assert ">FA-25</a>" in first and ">FA-26</a>" not in first and "Page 1 sur 2" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert ">FA-26</a>" in second and ">FA-30</a>" in second


def _fill(world, count):
    for i in range(count):
        s = ActionSheetFactory(
            ready=True,
            convention=world.convention,
            number=f"FA-{i + 1:02d}",
            thematic=thematic("enfance" if i % 2 else "jeunesse"),
            lead=f"Pilote {i % 4}",
        )
        FundingLineFactory(sheet=s, funder="Caf", year=2023)
        s.communes.add(world.commune)
        s.other_thematics.add(thematic("parentalite"))
        Indicator.objects.create(
            action_sheet=s,
            name=f"Indicateur {i}",
            baseline_value=0,
            baseline_date=datetime.date(2022, 1, 1),
            target_value=10,
            target_date=datetime.date(2025, 1, 1),
        )


@pytest.mark.parametrize("count", [5, 60])
def test_the_list_page_costs_a_constant_number_of_queries(
    world, login, django_assert_max_num_queries, count
):
    _fill(world, count)
    client = login(world.coordinator)
    url = reverse("actions:plan", args=[world.convention.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url, {"tri": "-planned", "q": "Fiche"})
    assert response.status_code == 200
    assert f"({count})" in response.content.decode()


@pytest.mark.parametrize("count", [5, 60])
def test_the_export_costs_a_constant_number_of_queries(
    world, login, django_assert_max_num_queries, count
):
    _fill(world, count)
    client = login(world.coordinator)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("actions:export", args=[world.convention.pk]))
    ws = load_workbook(BytesIO(response.content)).active
    assert ws.max_row == count + 1


# --------------------------------------------------------------------------- export


def test_the_export_holds_every_field_of_the_filtered_fiches(world, login, sheet):
    sheet.indicators.all().delete()  # the one indicator below, not the factory's
    sheet.communes.add(world.commune)
    sheet.other_thematics.add(thematic("parentalite"))
    Indicator.objects.create(
        action_sheet=sheet,
        name="Assistantes maternelles accompagnées",
        unit="personnes",
        baseline_value=10,
        baseline_date=datetime.date(2022, 1, 1),
        target_value=40,
        target_date=datetime.date(2025, 1, 1),
    )
    ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-02", status=Status.VALIDATED
    )
    response = login(world.elected).get(
        reverse("actions:export", args=[world.convention.pk]), {"statut": "brouillon"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment;" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == [
        "Fiches action",
        "Objectifs",
        "Indicateurs",
        "Financements",
        "Synthèse",
        "Mode d'emploi",
        "Listes",
    ]
    ws = workbook.active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert len(rows) == 2  # the filter keeps FA-01 only
    row = dict(zip(header, rows[1], strict=True))
    assert row["N°"] == "FA-01"
    assert row["Intitulé"] == "Relais petite enfance"
    assert row["Statut"] == "Brouillon"
    assert row["Thématique principale"] == "Petite enfance"
    assert row["Autres thématiques"] == "Parentalité"
    assert row["Pilote"] == "CC des Deux Rives"
    assert row["Description de l'action"] == "Ouvrir un relais itinérant"
    assert row["Communes concernées"] == "Laguépie"
    assert row["Début"].date() == datetime.date(2022, 3, 1)
    assert row["Montant prévu total"] == 18000
    assert row["Montant dépensé total"] == 5000
    assert set(row["Financeurs"].split(", ")) == {"Caf", "Département"}
    assert "Assistantes maternelles accompagnées" in row["Indicateurs"]
    # Real dates and amounts in euros (the spreadsheet's own formats), never text.
    cells = dict(zip(header, ws[2], strict=True))
    assert cells["Début"].is_date and cells["Début"].number_format == DATE_FORMAT
    assert cells["Créée le"].is_date and cells["Créée le"].number_format == DATE_FORMAT
    assert cells["Montant prévu total"].data_type == "n"
    assert cells["Montant prévu total"].number_format == EURO_FORMAT
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb == "FF00509E"

    # One row per indicator: baseline and target as numbers in their own columns.
    indicators = workbook["Indicateurs"]
    titles = [c.value for c in indicators[1]]
    line = dict(zip(titles, indicators[2], strict=True))
    assert line["N° fiche"].value == "FA-01"
    assert line["Indicateur"].value == "Assistantes maternelles accompagnées"
    assert line["Valeur de référence"].value == 10 and line["Valeur cible"].value == 40
    assert line["Valeur de référence"].data_type == line["Valeur cible"].data_type == "n"
    assert line["Date de référence"].value.date() == datetime.date(2022, 1, 1)
    assert line["Échéance de la cible"].number_format == DATE_FORMAT
    # One row per funding line, its amounts in euros.
    funding = workbook["Financements"]
    assert [c.value for c in funding[1]] == [
        "N° fiche",
        "Fiche",
        "Financeur",
        "Année",
        "Nature",
        "Montant prévu",
        "Montant dépensé",
    ]
    lines = sorted(funding.iter_rows(min_row=2, values_only=True), key=lambda r: (r[3], r[2]))
    assert [r[2:] for r in lines] == [
        ("Caf", 2023, "Fonctionnement", 10000, 2500),
        ("Département", 2023, "Fonctionnement", 3000, 2500),
        ("Caf", 2024, "Fonctionnement", 5000, 0),
    ]
    assert all(
        c.number_format == EURO_FORMAT for r in funding.iter_rows(min_row=2, min_col=6) for c in r
    )
    # No figure hidden in a text ("35.00 → 70.00", "12 500,00 €"), no internal id.
    texts = [
        c.value
        for sheet_ in workbook
        for r in sheet_.iter_rows()
        for c in r
        if isinstance(c.value, str)
    ]
    assert not any("→" in t or "€" in t for t in texts), [t for t in texts if "→" in t or "€" in t]


def test_the_export_neutralises_formulas(world, login):
    ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title='=HYPERLINK("http://evil.example","clic")',
        lead="+33 6 00 00 00 00",
        partners="@SUM(A1:A2)",
        description="-2+3",
    )
    response = login(world.caf_staff).get(reverse("actions:export", args=[world.convention.pk]))
    ws = load_workbook(BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    cells = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert cells["Intitulé"].value == '\'=HYPERLINK("http://evil.example","clic")'
    assert cells["Intitulé"].data_type == "s"
    assert cells["Pilote"].value == "'+33 6 00 00 00 00"
    assert cells["Partenaires"].value == "'@SUM(A1:A2)"
    assert cells["Description de l'action"].value == "'-2+3"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
