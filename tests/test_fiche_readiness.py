"""Fiches that are ready before they are submitted (issue « Run the CTG year in the tool », 4).

A fiche goes to the committee only with its description, public, pilot, calendar, funding
(lines, or « sans financement » ticked) and at least one indicator; the fiche page lists what
is missing with a link to each field. The fiche form offers the convention's thematics only;
an « à revoir » opinion without a comment keeps the choice and shows its error under the
comment; the pilots' reminder links to the screen where each measurement is entered.
"""

import datetime
import re

import pytest
from django.urls import reverse

from actions import services, workflow
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet
from diagnostics.factories import thematic
from evaluation.factories import IndicatorFactory
from tests.test_actions_pages import form_data

Status = ActionSheet.Status


@pytest.fixture
def bare(world):
    """A fiche with only its title (and the factory's number, thematic and calendar)."""
    return ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Relais petite enfance",
        lead="",
        start_date=None,
        end_date=None,
    )


def sheet_url(world, sheet, name="actions:sheet"):
    return reverse(name, kwargs={"pk": world.convention.pk, "sheet_id": sheet.pk})


def complete(sheet):
    sheet.description = "Ouvrir un relais itinérant"
    sheet.target_public = "Assistantes maternelles"
    sheet.lead = "CC des Deux Rives"
    sheet.start_date = datetime.date(2027, 1, 1)
    sheet.end_date = datetime.date(2028, 12, 31)
    sheet.save()
    FundingLineFactory(sheet=sheet, funder="Caf", year=2027, planned_amount=5000)
    IndicatorFactory(action_sheet=sheet, name="Permanences tenues")
    return sheet


def test_a_fiche_with_only_a_title_is_not_submitted_and_the_refusal_names_what_is_missing(
    world, bare
):
    with pytest.raises(services.WorkflowError) as refused:
        services.action_sheet_submit(sheet=bare, by=world.coordinator)
    message = refused.value.message
    for missing in (
        "la description de l'action",
        "le public visé",
        "le pilote",
        "la date de début",
        "la date de fin",
        "un financement",
        "un indicateur",
    ):
        assert missing in message
    bare.refresh_from_db()
    assert bare.status == Status.DRAFT
    assert not bare.transitions.exists()


def test_a_complete_fiche_is_submitted(world, bare):
    sheet = services.action_sheet_submit(sheet=complete(bare), by=world.coordinator)
    assert sheet.status == Status.SUBMITTED


def test_sans_financement_ticked_stands_for_the_funding_lines(world, bare):
    complete(bare)
    bare.funding_lines.all().delete()
    assert [gap.field for gap in workflow.submission_gaps(bare)] == ["funding"]
    bare.no_funding = True
    bare.save()
    assert workflow.submission_gaps(bare) == []


def test_the_pilot_may_be_an_account_instead_of_a_name(world, bare):
    complete(bare)
    bare.lead = ""
    bare.lead_user = world.coordinator
    bare.save()
    assert workflow.submission_gaps(bare) == []


def test_the_fiche_page_lists_what_is_missing_with_a_link_to_each_field(world, login, bare):
    response = login(world.coordinator).post(
        reverse(
            "actions:sheet_transition",
            kwargs={"pk": world.convention.pk, "sheet_id": bare.pk, "action": "submit"},
        ),
        follow=True,
    )
    page = response.content.decode()
    assert "n'est pas encore prête à être soumise" in page
    edit = sheet_url(world, bare, "actions:sheet_update")
    for anchor in (
        "id_description",
        "id_target_public",
        "id_lead",
        "id_start_date",
        "id_end_date",
        "financements",
        "indicateurs",
    ):
        assert f'href="{edit}#{anchor}"' in page
    bare.refresh_from_db()
    assert bare.status == Status.DRAFT


def test_the_edit_form_carries_the_anchors_the_checklist_links_to(world, login, bare):
    page = login(world.coordinator).get(sheet_url(world, bare, "actions:sheet_update"))
    html = page.content.decode()
    for anchor in ("financements", "indicateurs", "id_no_funding"):
        assert f'id="{anchor}"' in html


def test_a_ready_fiche_page_shows_no_checklist(world, login, bare):
    complete(bare)
    page = login(world.coordinator).get(sheet_url(world, bare)).content.decode()
    assert "n'est pas encore prête à être soumise" not in page


def test_the_fiche_form_offers_only_the_conventions_thematics(world, login):
    world.convention.thematics.set([thematic("enfance"), thematic("jeunesse")])
    page = login(world.coordinator).get(
        reverse("actions:sheet_create", kwargs={"pk": world.convention.pk})
    )
    offered = {choice.pk for choice in page.context["form"].fields["thematic"].queryset}
    assert offered == {thematic("enfance").pk, thematic("jeunesse").pk}


def test_a_thematic_the_convention_does_not_cover_is_refused(world, login):
    world.convention.thematics.set([thematic("jeunesse")])
    response = login(world.coordinator).post(
        reverse("actions:sheet_create", kwargs={"pk": world.convention.pk}),
        form_data(world, thematic=thematic("logement").pk),
    )
    assert response.status_code == 200
    assert "thematic" in response.context["form"].errors
    assert not ActionSheet.objects.filter(title="Accueil de loisirs du mercredi").exists()


def test_a_fiche_keeps_its_thematic_when_the_convention_stops_covering_it(world, login, bare):
    world.convention.thematics.set([thematic("jeunesse")])
    page = login(world.coordinator).get(sheet_url(world, bare, "actions:sheet_update"))
    offered = set(page.context["form"].fields["thematic"].queryset)
    assert bare.thematic in offered


def test_a_send_back_without_comment_keeps_the_choice_and_shows_the_error_under_the_comment(
    world, login, bare
):
    services.action_sheet_submit(sheet=complete(bare), by=world.coordinator)
    response = login(world.member_caf).post(
        sheet_url(world, bare, "actions:sheet_opinion"), {"decision": "a_revoir", "comment": ""}
    )
    assert response.status_code == 200
    form = response.context["approval_form"]
    assert form["decision"].value() == "a_revoir"
    assert form.errors["comment"] == [workflow.TRANSITIONS["send_back"].reason_missing]
    html = response.content.decode()
    assert re.search(r'<input[^>]*value="a_revoir"[^>]*checked', html)
    assert "is-invalid" in html
    bare.refresh_from_db()
    assert bare.status == Status.SUBMITTED and not bare.approvals.exists()
