"""Import of a whole action plan from the plan workbook (issue #21): the export imports back,
a preview lists what changes and every bad cell, nothing is written before the confirmation,
the same file twice changes nothing, hostile workbooks get French errors."""

from __future__ import annotations

import datetime
import html
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from actions import exports
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet, ActionSheetTransition, FundingLine, Objective
from conventions.models import Convention, User
from evaluation.factories import IndicatorFactory
from evaluation.models import Indicator
from plans import services
from plans.models import PlanImport
from portal.demo.sorbiers import SORBIERS_NAME

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------- helpers


def text(response) -> str:
    return html.unescape(response.content.decode())


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, convention, data: bytes, name: str = "plan.xlsx"):
    return client.post(
        reverse("plans:import", args=[convention.pk]),
        {"file": SimpleUploadedFile(name, data, content_type=XLSX)},
    )


def confirm(client, convention, response):
    token = response.context["token"]
    assert token, "the preview offers a confirmation"
    return client.post(reverse("plans:import_confirm", args=[convention.pk]), {"token": token})


def header_of(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[1] if cell.value}


def set_cell(ws, row: int, label: str, value) -> None:
    ws.cell(row=row, column=header_of(ws)[label], value=value)


def append(ws, values: dict) -> int:
    columns = header_of(ws)
    row = ws.max_row + 1
    for label, value in values.items():
        ws.cell(row=row, column=columns[label], value=value)
    return row


def imported_view(data: bytes) -> dict[str, set]:
    """Every sheet of the workbook reduced to its imported columns (the keys and values an
    import reads), to compare two workbooks by content."""
    wb = load_workbook(io.BytesIO(data))
    view = {}
    for sheet, columns in exports.IMPORTED_SHEETS.items():
        ws = wb[sheet]
        labels = [c.label for c in columns if c.field]
        index = header_of(ws)
        rows = set()
        for r in range(2, ws.max_row + 1):
            values = []
            for label in labels:
                value = ws.cell(row=r, column=index[label]).value
                if isinstance(value, datetime.datetime):
                    value = value.date()
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                values.append(value if value not in ("", None) else None)
            if any(v is not None for v in values):
                rows.add(tuple(values))
        view[sheet] = rows
    return view


def plan_state(convention) -> dict:
    """The plan as stored: fiches, indicators and funding lines with their values."""
    return {
        "sheets": sorted(
            ActionSheet.objects.filter(convention=convention).values_list(
                "number", "title", "status", "version", "revision"
            )
        ),
        "indicators": sorted(
            Indicator.objects.filter(action_sheet__convention=convention).values_list(
                "action_sheet__number", "code", "name", "baseline_value", "target_value"
            )
        ),
        "funding": sorted(
            FundingLine.objects.filter(sheet__convention=convention).values_list(
                "sheet__number", "funder", "year", "planned_amount", "spent_amount"
            )
        ),
        "objectives": sorted(convention.objectives.values_list("title", "level")),
        "history": ActionSheet.history.filter(convention_id=convention.pk).count(),
    }


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    convention = Convention.objects.get(name=SORBIERS_NAME)
    agent = User.objects.get(email="agent.caf42@ctg.example")
    return convention, agent


# --------------------------------------------------------------------------- round trip


def test_the_demo_plan_exported_and_edited_imports_back_once_its_bad_cell_is_fixed(demo, login):
    convention, agent = demo
    assert convention.phase == Convention.Phase.ACTION_PLAN
    client = login(agent)
    exported = client.get(reverse("actions:export", args=[convention.pk])).content
    wb = load_workbook(io.BytesIO(exported))
    fiches, indicators = wb[exports.FICHES_SHEET], wb[exports.INDICATORS_SHEET]
    assert fiches.max_row > 2 and indicators.max_row > 2, "the demo plan has fiches"
    first = ActionSheet.objects.filter(convention=convention).order_by("number").first()
    thematic = first.thematic.label

    # The edit: a new fiche with an indicator, a changed target, and a bad cell.
    append(
        fiches,
        {
            "N°": "FA-90",
            "Intitulé": "Ludothèque itinérante",
            "Statut": "Brouillon",
            "Thématique principale": thematic,
            "Pilote": "Mairie de Sorbiers",
            "Sans financement": "non",
            "Début": datetime.date(2026, 1, 1),
            "Fin": datetime.date(2026, 12, 31),
        },
    )
    new_indicator_row = append(
        indicators,
        {
            "N° fiche": "FA-90",
            "Indicateur": "Familles accueillies",
            "Type": "Résultat",
            "Sens attendu": "Hausse",
            "Fréquence de mesure": "Annuelle",
            "Unité": "familles",
            "Valeur de référence": 0,
            "Date de référence": datetime.date(2026, 1, 1),
            "Valeur cible": 120,
            "Échéance de la cible": datetime.date(2026, 12, 31),
        },
    )
    # A target changed on a draft fiche (on a validated one it would open a new version).
    drafts = set(
        ActionSheet.objects.filter(
            convention=convention, status=ActionSheet.Status.DRAFT
        ).values_list("number", flat=True)
    )
    row = next(r for r in range(2, indicators.max_row + 1) if indicators.cell(r, 1).value in drafts)
    columns = header_of(indicators)
    changed_code = indicators.cell(row=row, column=columns["Code"]).value
    changed_fiche = indicators.cell(row=row, column=1).value
    old_target = Decimal(str(indicators.cell(row=row, column=columns["Valeur cible"]).value))
    baseline = Decimal(str(indicators.cell(row=row, column=columns["Valeur de référence"]).value))
    new_target = max(old_target, baseline) + 7
    set_cell(indicators, row, "Valeur cible", float(new_target))
    bad_row = append(
        wb[exports.FUNDING_SHEET],
        {"N° fiche": "FA-90", "Financeur": "Caf", "Année": 2026, "Montant prévu": "beaucoup"},
    )
    before = plan_state(convention)

    response = upload(client, convention, workbook_bytes(wb), "sorbiers-edite.xlsx")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(e.sheet, e.row, e.column) for e in preview.errors] == [
        (exports.FUNDING_SHEET, bad_row, "F")  # « Montant prévu », after « Nature »
    ]
    assert "« beaucoup » n'est pas un nombre" in preview.errors[0].message
    page = text(response)
    assert "rien n'a été enregistré" in page and "Confirmer l'import" not in page
    assert response.context["token"] is None
    assert plan_state(convention) == before

    # Fixed: the counts are right and the import gives the edit.
    set_cell(wb[exports.FUNDING_SHEET], bad_row, "Montant prévu", 1500)
    set_cell(wb[exports.FUNDING_SHEET], bad_row, "Montant dépensé", 0)
    fixed = workbook_bytes(wb)
    response = upload(client, convention, fixed, "sorbiers-edite.xlsx")
    preview = response.context["preview"]
    assert preview.errors == []
    assert preview.counts[exports.FICHES_SHEET] == {
        "new": 1,
        "changed": 0,
        "unchanged": len(before["sheets"]),
    }
    assert preview.counts[exports.INDICATORS_SHEET] == {
        "new": 1,
        "changed": 1,
        "unchanged": len(before["indicators"]) - 1,
    }
    assert preview.counts[exports.FUNDING_SHEET] == {
        "new": 1,
        "changed": 0,
        "unchanged": len(before["funding"]),
    }
    assert preview.summary() == (
        "1 fiche nouvelle, 1 indicateur nouveau, 1 modifié, 1 ligne de financement nouvelle"
    )
    assert plan_state(convention) == before, "the preview writes nothing"
    done = confirm(client, convention, response)
    assert done.status_code == 302 and done.url == reverse("actions:plan", args=[convention.pk])

    new = ActionSheet.objects.get(convention=convention, number="FA-90")
    assert new.status == ActionSheet.Status.DRAFT
    assert new.history.first().history_change_reason == "Import du plan : sorbiers-edite.xlsx"
    indicator = Indicator.objects.get(
        action_sheet__convention=convention, action_sheet__number=changed_fiche, code=changed_code
    )
    assert indicator.target_value == new_target
    assert new.indicators.get().code == "IND-01"
    assert new.funding_lines.get().planned_amount == 1500
    record = PlanImport.objects.get(convention=convention)
    assert record.filename == "sorbiers-edite.xlsx" and record.imported_by == agent
    # The plan exported again says what the edited workbook said.
    again = client.get(reverse("actions:export", args=[convention.pk])).content
    set_cell(indicators, new_indicator_row, "Code", "IND-01")  # given by the import
    set_cell(wb[exports.FUNDING_SHEET], bad_row, "Nature", "Fonctionnement")  # the default
    got, wanted = imported_view(again), imported_view(workbook_bytes(wb))
    for sheet in wanted:
        assert got[sheet] - wanted[sheet] == set() and wanted[sheet] - got[sheet] == set(), (
            sheet,
            sorted(got[sheet] - wanted[sheet], key=str),
            sorted(wanted[sheet] - got[sheet], key=str),
        )

    # The same file again changes nothing.
    after = plan_state(convention)
    response = upload(client, convention, fixed, "sorbiers-edite.xlsx")
    preview = response.context["preview"]
    assert preview.ok and not preview.has_changes and response.context["token"] is None
    assert "ne change rien au plan" in response.content.decode()
    services.plan_import_confirm(
        convention=convention, data=fixed, filename="x.xlsx", token="again", by=agent
    )
    assert plan_state(convention) == after


def test_confirming_the_same_preview_twice_imports_once(world, login):
    convention = world.convention
    convention.phase = Convention.Phase.ACTION_PLAN
    convention.save()
    client = login(world.caf_staff)
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[convention.pk])).content)
    )
    append(
        wb[exports.FICHES_SHEET],
        {"N°": "FA-01", "Intitulé": "Relais", "Thématique principale": "Petite enfance"},
    )
    response = upload(client, convention, workbook_bytes(wb))
    first = confirm(client, convention, response)
    second = confirm(client, convention, response)
    assert first.status_code == second.status_code == 302
    assert ActionSheet.objects.filter(convention=convention).count() == 1
    assert PlanImport.objects.filter(convention=convention).count() == 1


# --------------------------------------------------------------------------- the template


def thematic_rows(wb) -> list[str]:
    return [c.value for c in wb[exports.LISTS_SHEET]["A"][1:] if c.value]


def test_the_template_has_one_sheet_per_kind_drop_down_lists_and_instructions(world, login):
    response = login(world.caf_staff).get(reverse("plans:template", args=[world.convention.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(response.content))
    for sheet in (*exports.IMPORTED_SHEETS, exports.HELP_SHEET):
        assert sheet in wb.sheetnames
    assert wb[exports.LISTS_SHEET].sheet_state == "hidden"
    fiches = wb[exports.FICHES_SHEET]
    lists_of = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): (dv.formula1, dv.showErrorMessage)
        for dv in fiches.data_validations.dataValidation
    }
    # Thematic and status: strict lists; pilot: suggestions (another value stays possible).
    assert lists_of["F"] == ("='Listes'!$A$2:$A$" + str(len(thematic_rows(wb)) + 1), True)
    assert lists_of["C"][1] is True and lists_of["M"][1] is False
    lists = wb[exports.LISTS_SHEET]
    thematics = thematic_rows(wb)
    assert "Petite enfance" in thematics
    pilots = [c.value for c in lists["G"][1:] if c.value]
    assert "CC des Deux Rives" in pilots
    help_text = " ".join(str(c.value) for c in wb[exports.HELP_SHEET]["A"])
    assert "numéro de fiche" in help_text and "Brouillon" in help_text


# --------------------------------------------------------------------------- rules


def test_the_import_is_refused_after_the_plan_phase_unless_the_convention_is_taken_over(
    world, login
):
    client = login(world.caf_staff)
    assert world.convention.phase == Convention.Phase.IMPLEMENTATION
    page = text(client.get(reverse("plans:import", args=[world.convention.pk])))
    assert "s'importe pendant le diagnostic" in page
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[world.convention.pk])).content)
    )
    append(
        wb[exports.FICHES_SHEET],
        {"N°": "FA-01", "Intitulé": "Relais", "Thématique principale": "Petite enfance"},
    )
    response = upload(client, world.convention, workbook_bytes(wb))
    assert not response.context["preview"].ok
    assert not ActionSheet.objects.filter(convention=world.convention).exists()


def test_only_caf_staff_import_a_plan(world, login):
    for user in (world.coordinator, world.elected, world.member_caf):
        client = login(user)
        assert client.get(reverse("plans:import", args=[world.convention.pk])).status_code == 403
        assert client.get(reverse("plans:template", args=[world.convention.pk])).status_code == 403
    assert (
        login(world.other_caf_staff)
        .get(reverse("plans:import", args=[world.convention.pk]))
        .status_code
        == 404
    )


def test_a_historical_convention_imports_validated_fiches_recorded_as_a_takeover(world, login):
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(
        is_takeover=True, signed_on=datetime.date(2022, 1, 15)
    )
    client = login(world.caf_staff)
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[convention.pk])).content)
    )
    append(
        wb[exports.OBJECTIVES_SHEET],
        {"Objectif": "Développer l'accueil du jeune enfant", "Thématique": "Petite enfance"},
    )
    append(
        wb[exports.FICHES_SHEET],
        {
            "N°": "FA-01",
            "Intitulé": "Micro-crèche",
            "Statut": "Validée",
            "Thématique principale": "Petite enfance",
            "Objectif": "Développer l'accueil du jeune enfant",
            "Communes concernées": "Laguépie",
            "Autres thématiques": "Parentalité",
        },
    )
    response = upload(client, convention, workbook_bytes(wb), "ctg-2022.xlsx")
    assert response.context["preview"].ok, response.context["preview"].errors
    confirm(client, convention, response)
    sheet = ActionSheet.objects.get(convention=convention, number="FA-01")
    assert sheet.status == ActionSheet.Status.VALIDATED and sheet.approved_version == 1
    assert sheet.objective.title == "Développer l'accueil du jeune enfant"
    assert list(sheet.communes.all()) == [world.commune]
    transition = ActionSheetTransition.objects.get(sheet=sheet)
    assert transition.reason == "Reprise de l'existant : Import du plan : ctg-2022.xlsx"
    assert PlanImport.objects.get(convention=convention).historical


def test_a_new_fiche_may_not_arrive_validated_on_a_convention_being_written(world, login):
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(phase=Convention.Phase.ACTION_PLAN)
    client = login(world.caf_staff)
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[convention.pk])).content)
    )
    row = append(
        wb[exports.FICHES_SHEET],
        {
            "N°": "FA-01",
            "Intitulé": "Relais",
            "Statut": "Validée",
            "Thématique principale": "Petite enfance",
        },
    )
    errors = upload(client, convention, workbook_bytes(wb)).context["preview"].errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [(exports.FICHES_SHEET, row, "C")]
    assert "commence « Brouillon »" in errors[0].message


def test_a_validated_fiche_changed_by_import_goes_back_to_the_committee(world, login):
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(phase=Convention.Phase.ACTION_PLAN)
    sheet = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        status=ActionSheet.Status.VALIDATED,
        approved_version=1,
    )
    IndicatorFactory(action_sheet=sheet, name="Places", target_value=20)
    FundingLineFactory(sheet=sheet)
    client = login(world.caf_staff)
    wb = load_workbook(
        io.BytesIO(client.get(reverse("actions:export", args=[convention.pk])).content)
    )
    set_cell(wb[exports.FICHES_SHEET], 2, "Intitulé", "Relais petite enfance renforcé")
    response = upload(client, convention, workbook_bytes(wb), "v2.xlsx")
    change = next(c for c in response.context["preview"].changes if c.sheet == exports.FICHES_SHEET)
    assert "version 2" in change.note
    confirm(client, convention, response)
    sheet.refresh_from_db()
    assert sheet.version == 2 and sheet.status == ActionSheet.Status.SUBMITTED
    assert sheet.status_reason == "Import du plan : v2.xlsx"


def test_references_that_do_not_exist_are_listed_with_their_cell(world, login):
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(phase=Convention.Phase.DIAGNOSTIC)
    client = login(world.caf_staff)
    wb = load_workbook(
        io.BytesIO(client.get(reverse("plans:template", args=[convention.pk])).content)
    )
    append(
        wb[exports.FICHES_SHEET],
        {
            "N°": "FA-01",
            "Intitulé": "Relais",
            "Thématique principale": "Astronomie",
            "Communes concernées": "Sorbiers",
        },
    )
    append(
        wb[exports.FUNDING_SHEET],
        {"N° fiche": "FA-77", "Financeur": "Caf", "Année": 2024, "Montant prévu": 10},
    )
    errors = upload(client, convention, workbook_bytes(wb)).context["preview"].errors

    def listed(sheet, column, start):
        return any(
            (e.sheet, e.column) == (sheet, column) and e.message.startswith(start) for e in errors
        )

    assert listed(exports.FICHES_SHEET, "F", "thématique inconnue « Astronomie »")
    assert listed(exports.FICHES_SHEET, "P", "commune « Sorbiers » inconnue")
    assert any(e.sheet == exports.FUNDING_SHEET and "FA-77" in e.message for e in errors)
    assert not ActionSheet.objects.filter(convention=convention).exists()


# --------------------------------------------------------------------------- hostile files


@pytest.fixture
def writable(world, login):
    Convention.objects.filter(pk=world.convention.pk).update(phase=Convention.Phase.ACTION_PLAN)
    world.convention.refresh_from_db()
    client = login(world.caf_staff)
    template = client.get(reverse("plans:template", args=[world.convention.pk])).content
    return client, world.convention, template


def test_a_formula_cell_is_refused_in_french(writable):
    client, convention, template = writable
    wb = load_workbook(io.BytesIO(template))
    row = append(
        wb[exports.FICHES_SHEET],
        {"N°": "FA-01", "Intitulé": '=HYPERLINK("http://x")', "Thématique principale": "Enfance"},
    )
    errors = upload(client, convention, workbook_bytes(wb)).context["preview"].errors
    assert [(e.sheet, e.row, e.column) for e in errors] == [(exports.FICHES_SHEET, row, "B")]
    assert "formule" in errors[0].message
    assert not ActionSheet.objects.exists()


def test_wrong_types_get_one_french_reason_per_cell(writable):
    client, convention, template = writable
    wb = load_workbook(io.BytesIO(template))
    append(
        wb[exports.FICHES_SHEET],
        {
            "N°": "FA-01",
            "Intitulé": "x" * 300,
            "Thématique principale": "Enfance",
            "Début": "demain",
            "Fin": datetime.date(9999, 12, 31),
        },
    )
    append(
        wb[exports.INDICATORS_SHEET],
        {
            "N° fiche": "FA-01",
            "Indicateur": "Places",
            "Type": "Magique",
            "Valeur de référence": True,
            "Date de référence": 44000,
            "Valeur cible": "1e999",
            "Échéance de la cible": "31/02/2025",
        },
    )
    append(
        wb[exports.FUNDING_SHEET],
        {"N° fiche": "FA-01", "Financeur": "Caf", "Année": 2024.5, "Montant prévu": -3},
    )
    response = upload(client, convention, workbook_bytes(wb))
    assert response.status_code == 200
    cells = {(e.sheet, e.column) for e in response.context["preview"].errors}
    assert cells >= {
        (exports.FICHES_SHEET, "B"),
        (exports.FICHES_SHEET, "Q"),
        (exports.FICHES_SHEET, "R"),
        (exports.INDICATORS_SHEET, "E"),
        (exports.INDICATORS_SHEET, "G"),
        (exports.INDICATORS_SHEET, "H"),
        (exports.INDICATORS_SHEET, "I"),
        (exports.INDICATORS_SHEET, "J"),
        (exports.FUNDING_SHEET, "D"),
        (exports.FUNDING_SHEET, "F"),
    }
    assert not ActionSheet.objects.exists()


def test_a_huge_sheet_is_stopped_with_a_french_error(writable):
    client, convention, template = writable
    wb = load_workbook(io.BytesIO(template))
    ws = wb[exports.FUNDING_SHEET]
    for n in range(2100):
        ws.append(["FA-01", "", "Caf", 2024, n])
    response = upload(client, convention, workbook_bytes(wb))
    messages = [e.message for e in response.context["preview"].errors]
    assert any("plus de 2000 lignes" in m for m in messages)


def test_a_sheet_declaring_a_huge_size_or_missing_columns_is_read_safely(writable):
    client, convention, template = writable
    wb = Workbook()
    ws = wb.active
    ws.title = exports.FICHES_SHEET
    ws.append(["N°", "Titre"])
    ws["XFD1048576"] = "loin"
    response = upload(client, convention, workbook_bytes(wb))
    errors = response.context["preview"].errors
    assert any("obligatoire" in e.message and "Intitulé" in e.message for e in errors)


def test_a_bomb_and_a_fake_workbook_get_french_errors_never_a_500(writable):
    client, convention, _template = writable
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr(
            "xl/sharedStrings.xml", "<sst>" + "<si><t>a</t></si>" * 3_000_000 + "</sst>"
        )
    response = upload(client, convention, buffer.getvalue())
    assert response.status_code == 200
    assert "volumineux" in response.content.decode() or "compressé" in response.content.decode()
    response = upload(client, convention, b"MZ\x90\x00 not a workbook", "plan.xlsx")
    assert response.status_code == 200
    assert "Type de fichier non accepté" in response.content.decode()
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<<<")
    response = upload(client, convention, broken.getvalue())
    assert response.status_code == 200
    assert "lisible" in response.content.decode()
    assert not ActionSheet.objects.exists() and not Objective.objects.exists()


def test_an_expired_preview_is_refused_in_french(writable):
    client, convention, _template = writable
    response = client.post(
        reverse("plans:import_confirm", args=[convention.pk]), {"token": "inconnu"}, follow=True
    )
    assert "Cet aperçu a expiré" in response.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_the_preview_costs_a_constant_number_of_queries(
    writable, django_assert_max_num_queries, count
):
    client, convention, template = writable
    for n in range(count):
        sheet = ActionSheetFactory(convention=convention, number=f"FA-{n + 1:02d}")
        IndicatorFactory(action_sheet=sheet)
        FundingLineFactory(sheet=sheet)
    exported = client.get(reverse("actions:export", args=[convention.pk])).content
    wb = load_workbook(io.BytesIO(exported))
    for n in range(count):
        append(
            wb[exports.FICHES_SHEET],
            {"N°": f"FA-{n + 51}", "Intitulé": "Nouvelle", "Thématique principale": "Enfance"},
        )
    data = workbook_bytes(wb)
    with django_assert_max_num_queries(15):
        preview = services.plan_import_preview(convention=convention, data=data)
    assert preview.ok, preview.errors
    assert preview.counts[exports.FICHES_SHEET] == {"new": count, "changed": 0, "unchanged": count}


def test_sans_financement_goes_both_ways_and_a_bad_answer_is_listed(writable):
    client, convention, template = writable
    wb = load_workbook(io.BytesIO(template))
    fiches = wb[exports.FICHES_SHEET]
    base = {"Intitulé": "Relais", "Thématique principale": "Petite enfance"}
    append(fiches, {"N°": "FA-01", **base, "Sans financement": "oui"})
    append(fiches, {"N°": "FA-02", **base, "Sans financement": "non"})
    bad = append(fiches, {"N°": "FA-03", **base, "Sans financement": "peut-être"})
    errors = upload(client, convention, workbook_bytes(wb)).context["preview"].errors
    column = exports.column_index(exports.COLUMNS, "Sans financement")
    assert [(e.row, e.column) for e in errors] == [(bad, get_column_letter(column))]
    assert "« oui » ou « non »" in errors[0].message
    fiches.delete_rows(bad)
    confirm(client, convention, upload(client, convention, workbook_bytes(wb)))
    assert dict(convention.action_sheets.values_list("number", "no_funding")) == {
        "FA-01": True,
        "FA-02": False,
    }
    # The export says it back in the same words, and the same file changes nothing.
    exported = load_workbook(
        io.BytesIO(client.get(reverse("actions:export", args=[convention.pk])).content)
    )[exports.FICHES_SHEET]
    said = {row[0]: row[column - 1] for row in exported.iter_rows(min_row=2, values_only=True)}
    assert said == {"FA-01": "oui", "FA-02": "non"}
    again = upload(client, convention, workbook_bytes(wb)).context["preview"]
    assert not again.errors and again.changes == []


def test_a_code_asked_by_the_workbook_is_in_the_indicators_history(writable):
    client, convention, template = writable
    wb = load_workbook(io.BytesIO(template))
    append(
        wb[exports.FICHES_SHEET],
        {"N°": "FA-01", "Intitulé": "Relais", "Thématique principale": "Petite enfance"},
    )
    append(
        wb[exports.INDICATORS_SHEET],
        {
            "N° fiche": "FA-01",
            "Code": "IND-07",
            "Indicateur": "Permanences tenues",
            "Valeur de référence": 0,
            "Date de référence": datetime.date(2023, 1, 1),
            "Valeur cible": 40,
            "Échéance de la cible": datetime.date(2025, 12, 31),
        },
    )
    confirm(client, convention, upload(client, convention, workbook_bytes(wb)))
    indicator = Indicator.objects.get(action_sheet__convention=convention)
    assert indicator.code == "IND-07"
    latest = indicator.history.first()
    assert latest.code == "IND-07" and latest.history_user.email == "claire@caf82.fr"
