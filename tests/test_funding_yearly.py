"""A yearly budget per funder (issue #17, item 4): each funding line is one funder's planned
and spent amounts for one year, operating or investment; the fiche page, the Synthèse's
funding charts, the plan workbook and the progress report (web page, PDF, XLSX) show the
same totals per year and the same gap (spent − planned) per funder, all folded by
``actions.funding.funding_totals``.

Each output is read as its user reads it: the text of the page, of the PDF (pypdf), the
cells of the workbooks (openpyxl).
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actions import exports
from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.funding import GAP_LABEL, funding_totals
from actions.models import ActionSheet, FundingLine
from conventions.models import Convention
from ctg import formatting
from portal.selectors import convention_dashboard
from tests.test_actions_pages import form_data
from tests.test_api import bearer, new_token
from tests.test_one_truth import Tables, built_report, nows
from tests.test_plans_import import append, confirm, header_of, upload, workbook_bytes

OPERATING = FundingLine.Nature.OPERATING
INVESTMENT = FundingLine.Nature.INVESTMENT

LINES = [
    ("FA-01", "Caf", 2024, OPERATING, 20000, 18000),
    ("FA-01", "Caf", 2025, OPERATING, 20000, 5000),
    ("FA-01", "Commune", 2025, INVESTMENT, 50000, 60000),  # overspent
    ("FA-02", "Caf", 2025, OPERATING, 10000, 0),
    ("FA-02", "Département", 2026, INVESTMENT, 8000, 0),
]
#: year → (planned, spent, gap)
PER_YEAR = {
    2024: (20000, 18000, -2000),
    2025: (80000, 65000, -15000),
    2026: (8000, 0, -8000),
}
#: funder → (planned, spent, gap), largest planned first, then by name
PER_FUNDER = {
    "Caf": (50000, 23000, -27000),
    "Commune": (50000, 60000, 10000),
    "Département": (8000, 0, -8000),
}


def amount(text: str) -> Decimal:
    """``−15 000,00 €`` or ``80 000 €`` → Decimal (the minus sign is U+2212)."""
    return Decimal(nows(text).replace("€", "").replace(",", ".").replace("−", "-"))


def as_ints(rows) -> dict:
    return {key: tuple(int(v) for v in values) for key, *values in rows}


@pytest.fixture
def yearly(world):
    convention = world.convention
    convention.start_date = datetime.date(2024, 1, 1)
    # The report runs from the start to today: the convention goes on after today.
    convention.end_date = timezone.localdate() + datetime.timedelta(days=2 * 365)
    convention.save()
    sheets = {
        number: ActionSheetFactory(convention=convention, number=number, title=f"Fiche {number}")
        for number in ("FA-01", "FA-02")
    }
    for number, funder, year, nature, planned, spent in LINES:
        FundingLineFactory(
            sheet=sheets[number],
            funder=funder,
            year=year,
            nature=nature,
            planned_amount=planned,
            spent_amount=spent,
        )
    world.sheets = sheets
    return world


# --------------------------------------------------------------------------- the one fold


def test_the_fold_gives_totals_per_year_per_funder_and_per_nature_with_their_gap():
    lines = [
        FundingLine(funder=f, year=y, nature=n, planned_amount=Decimal(p), spent_amount=Decimal(s))
        for _, f, y, n, p, s in LINES
    ]
    totals = funding_totals(lines)
    assert {r["year"]: (r["planned"], r["spent"], r["gap"]) for r in totals["per_year"]} == {
        year: tuple(Decimal(v) for v in values) for year, values in PER_YEAR.items()
    }
    assert [r["year"] for r in totals["per_year"]] == [2024, 2025, 2026]
    assert {r["funder"]: r["gap"] for r in totals["per_funder"]} == {
        f: Decimal(v[2]) for f, v in PER_FUNDER.items()
    }
    assert [(r["nature"], r["planned"], r["spent"]) for r in totals["per_nature"]] == [
        ("Fonctionnement", Decimal(50000), Decimal(23000)),
        ("Investissement", Decimal(58000), Decimal(60000)),
    ]
    assert (totals["planned"], totals["spent"], totals["gap"]) == (108000, 83000, -25000)


# --------------------------------------------------------------------------- every output


@pytest.fixture
def outputs(yearly, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    convention = yearly.convention
    client = login(yearly.caf_staff)
    fiche_pages = [
        Tables(
            client.get(
                reverse("actions:sheet", kwargs={"pk": convention.pk, "sheet_id": sheet.pk})
            ).content.decode()
        )
        for sheet in yearly.sheets.values()
    ]
    synthese = client.get(reverse("portal:detail", args=[convention.pk])).content.decode()
    export = client.get(reverse("actions:export", args=[convention.pk])).content
    page, report_pdf, report_xlsx = built_report(client, convention)
    return {
        "fiche_pages": fiche_pages,
        "synthese": Tables(synthese),
        "dashboard": convention_dashboard(convention=convention),
        "plan_xlsx": load_workbook(io.BytesIO(export)),
        "report_page": Tables(page),
        "report_pdf": nows(report_pdf),
        "report_xlsx": report_xlsx,
    }


def summed(pages: list[Tables], header: list[str]) -> dict:
    """The rows of the table headed ``header`` on each page, summed per first cell."""
    total: dict = {}
    for tables in pages:
        for key, *cells in tables.find(header):
            values = [amount(c) for c in cells]
            total[key] = [
                a + b for a, b in zip(total.get(key, [0] * len(values)), values, strict=True)
            ]
    return {k: tuple(int(v) for v in values) for k, values in total.items()}


def workbook_table(ws, label: str) -> list[list]:
    """The rows under the header whose first cell is ``label``, up to a blank row."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == label) + 1
    found = []
    for row in rows[start:]:
        if row[0] is None:
            break
        found.append(list(row))
    return found


def test_every_output_gives_the_same_totals_per_year_and_gap_per_funder(outputs):
    per_year = {str(year): values for year, values in PER_YEAR.items()}
    # The fiche pages: each fiche's years, which add up to the convention's.
    assert summed(outputs["fiche_pages"], ["Année", "Prévu", "Dépensé", "Écart"]) == per_year
    # The Synthèse's chart by year (its data table, as the page shows it).
    header = ["Année", "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL]
    synthese = outputs["synthese"].find(header)
    assert [row[0] for row in synthese] == ["2024", "2025", "2026"]
    assert {r[0]: (amount(r[1]), amount(r[2]), amount(r[4])) for r in synthese} == per_year
    assert synthese[1][3] == "81 %"  # 65 000 of 80 000
    assert outputs["dashboard"].funding_year_figure.rows == [
        [
            str(year),
            formatting.amount(p, 0),
            formatting.amount(s, 0),
            formatting.percent(s / p * 100 if p else None),
            formatting.amount(g, 0),
        ]
        for year, (p, s, g) in PER_YEAR.items()
    ]
    # The plan workbook's « Synthèse » sheet.
    plan = workbook_table(outputs["plan_xlsx"][exports.SUMMARY_SHEET], "Année")
    assert as_ints([[str(r[0]), r[1], r[2], r[4]] for r in plan]) == per_year
    # The report: its page, its PDF text, its workbook.
    page = outputs["report_page"].find(header, cls="funding")
    assert {r[0]: (amount(r[1]), amount(r[2]), amount(r[4])) for r in page} == per_year
    for year, (planned, spent, gap) in PER_YEAR.items():
        rate = formatting.percent(spent / planned * 100)
        line = f"{year}{formatting.amount(planned)}{formatting.amount(spent)}{rate}"
        assert nows(line + formatting.amount(gap)) in outputs["report_pdf"], year
    xlsx = outputs["report_xlsx"]["Financements par année"]
    assert [c.value for c in xlsx[1]] == header
    assert as_ints([[str(r[0]), r[1], r[2], r[4]] for r in workbook_table(xlsx, "Année")]) == (
        per_year
    )

    # The gap per funder. The fiche pages: each fiche's funders and total, added up.
    header = ["Financeur", "Prévu", "Dépensé", "Écart"]
    assert summed(outputs["fiche_pages"], header) == {
        **PER_FUNDER,
        "Total": (108000, 83000, -25000),
    }
    chart_header = ["Financeur", "Prévu", "Dépensé", "Taux de consommation", GAP_LABEL]
    synthese = outputs["synthese"].find(chart_header)
    assert [row[0] for row in synthese] == list(PER_FUNDER)  # largest planned first
    assert {r[0]: (amount(r[1]), amount(r[2]), amount(r[4])) for r in synthese} == PER_FUNDER
    plan = workbook_table(outputs["plan_xlsx"][exports.SUMMARY_SHEET], "Financeur")
    assert as_ints([[r[0], r[1], r[2], r[4]] for r in plan]) == PER_FUNDER
    page = outputs["report_page"].find(chart_header, cls="funding")
    assert {r[0]: (amount(r[1]), amount(r[2]), amount(r[4])) for r in page} == PER_FUNDER
    for funder, (planned, spent, gap) in PER_FUNDER.items():
        rate = formatting.percent(spent / planned * 100)
        line = funder + formatting.amount(planned) + formatting.amount(spent) + rate
        assert nows(line + formatting.amount(gap)) in outputs["report_pdf"], funder
    xlsx = outputs["report_xlsx"]["Financements"]
    assert [c.value for c in xlsx[1]] == chart_header
    rows = workbook_table(xlsx, "Financeur")
    assert as_ints([[r[0], r[1], r[2], r[4]] for r in rows]) == PER_FUNDER
    assert xlsx["E2"].number_format == xlsx["B2"].number_format  # the gap in euros


def test_the_fiche_page_and_the_plan_workbook_list_each_line_with_its_nature(yearly, login):
    client = login(yearly.caf_staff)
    convention, sheet = yearly.convention, yearly.sheets["FA-01"]
    page = Tables(
        client.get(
            reverse("actions:sheet", kwargs={"pk": convention.pk, "sheet_id": sheet.pk})
        ).content.decode()
    )
    lines = page.find(["Financeur", "Année", "Nature", "Prévu", "Dépensé"])
    assert [row[:3] for row in lines] == [
        ["Caf", "2024", "Fonctionnement"],
        ["Caf", "2025", "Fonctionnement"],
        ["Commune", "2025", "Investissement"],
    ]
    export = client.get(reverse("actions:export", args=[convention.pk])).content
    ws = load_workbook(io.BytesIO(export))[exports.FUNDING_SHEET]
    columns = header_of(ws)
    rows = {
        (r[columns["N° fiche"] - 1], r[columns["Financeur"] - 1], r[columns["Année"] - 1]): (
            r[columns["Nature"] - 1],
            r[columns["Montant prévu"] - 1],
        )
        for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert rows == {
        (n, f, y): (str(FundingLine.Nature(nature).label), p) for n, f, y, nature, p, _ in LINES
    }


# --------------------------------------------------------------------------- the plan workbook


@pytest.fixture
def writable(yearly, login):
    Convention.objects.filter(pk=yearly.convention.pk).update(phase=Convention.Phase.ACTION_PLAN)
    client = login(yearly.caf_staff)
    export = client.get(reverse("actions:export", args=[yearly.convention.pk])).content
    return client, yearly.convention, load_workbook(io.BytesIO(export))


def natures(convention) -> dict:
    return {
        (n, f, y): nature
        for n, f, y, nature in FundingLine.objects.filter(sheet__convention=convention).values_list(
            "sheet__number", "funder", "year", "nature"
        )
    }


def test_the_nature_goes_through_the_plan_workbook_and_back(writable):
    client, convention, wb = writable
    before = natures(convention)
    # The workbook as exported imports back without a change.
    preview = upload(client, convention, workbook_bytes(wb)).context["preview"]
    assert not preview.errors and preview.changes == []
    ws = wb[exports.FUNDING_SHEET]
    columns = header_of(ws)
    for row in range(2, ws.max_row + 1):
        key = tuple(ws.cell(row=row, column=columns[c]).value for c in ("N° fiche", "Financeur"))
        year = ws.cell(row=row, column=columns["Année"]).value
        if key == ("FA-01", "Caf") and year == 2025:
            ws.cell(row=row, column=columns["Nature"], value="Investissement")
        if key == ("FA-01", "Commune"):
            ws.cell(row=row, column=columns["Nature"], value=None)  # blank: kept
    append(
        ws,
        {"N° fiche": "FA-02", "Financeur": "MSA", "Année": 2026, "Montant prévu": 3000},
    )
    response = upload(client, convention, workbook_bytes(wb))
    preview = response.context["preview"]
    assert not preview.errors
    assert [
        (c.key, c.kind, c.fields) for c in preview.changes if c.sheet == exports.FUNDING_SHEET
    ] == [
        ("FA-01 — Caf 2025", "changed", ["Nature"]),
        ("FA-02 — MSA 2026", "new", []),
    ]
    confirm(client, convention, response)
    assert natures(convention) == {
        **before,
        ("FA-01", "Caf", 2025): INVESTMENT,
        ("FA-02", "MSA", 2026): OPERATING,  # a new line without a nature
    }
    # The same file again changes nothing.
    again = upload(client, convention, workbook_bytes(wb)).context["preview"]
    assert not again.errors and again.changes == []


def test_it_refuses_a_nature_outside_the_list_with_its_cell(writable):
    client, convention, wb = writable
    ws = wb[exports.FUNDING_SHEET]
    ws.cell(row=2, column=header_of(ws)["Nature"], value="Subvention")
    before = natures(convention)
    errors = upload(client, convention, workbook_bytes(wb)).context["preview"].errors
    assert [(e.sheet, e.row) for e in errors] == [(exports.FUNDING_SHEET, 2)]
    assert "Subvention" in errors[0].message
    assert natures(convention) == before


def test_the_template_offers_the_natures_as_a_drop_down_list(writable):
    _, _, wb = writable
    ws = wb[exports.FUNDING_SHEET]
    letter = ws.cell(row=1, column=header_of(ws)["Nature"]).column_letter
    validations = [v for v in ws.data_validations.dataValidation if letter in str(v.sqref)]
    assert len(validations) == 1 and "Listes" in validations[0].formula1
    lists = wb[exports.LISTS_SHEET]
    column = next(c for c in lists[1] if c.value == "Natures").column
    values = [lists.cell(row=r, column=column).value for r in (2, 3)]
    assert values == ["Fonctionnement", "Investissement"]


# --------------------------------------------------------------------------- the fiche form


def test_the_fiche_form_saves_the_nature_of_each_line(world, login):
    data = form_data(world, **{"financement-0-nature": "investissement"})
    response = login(world.caf_staff).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), data
    )
    assert response.status_code == 302
    assert list(FundingLine.objects.values_list("nature", flat=True)) == [INVESTMENT]


def test_it_refuses_an_unknown_nature_in_french_and_saves_nothing(world, login):
    data = form_data(world, **{"financement-0-nature": "subvention"})
    response = login(world.caf_staff).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), data
    )
    assert response.status_code == 200
    assert "Choisissez « Fonctionnement » ou « Investissement »." in response.content.decode()
    assert not ActionSheet.objects.exists() and not FundingLine.objects.exists()


def test_a_post_without_a_nature_keeps_the_line_operating(world, login):
    response = login(world.caf_staff).post(
        reverse("actions:sheet_create", args=[world.convention.pk]), form_data(world)
    )
    assert response.status_code == 302
    assert list(FundingLine.objects.values_list("nature", flat=True)) == [OPERATING]


def test_the_form_shows_a_nature_select_in_french(world, login):
    page = (
        login(world.caf_staff)
        .get(reverse("actions:sheet_create", args=[world.convention.pk]))
        .content.decode()
    )
    assert 'name="financement-0-nature"' in page
    assert ">Fonctionnement</option>" in page and ">Investissement</option>" in page


def test_the_model_refuses_an_unknown_nature(world):
    line = FundingLineFactory.build(
        sheet=ActionSheetFactory(convention=world.convention), nature="subvention"
    )
    with pytest.raises(ValidationError) as refused:
        line.full_clean()
    assert "nature" in refused.value.message_dict


def test_the_database_refuses_an_unknown_nature(world):
    line = FundingLineFactory(sheet=ActionSheetFactory(convention=world.convention))
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLine.objects.filter(pk=line.pk).update(nature="subvention")
    line.refresh_from_db()
    assert line.nature == OPERATING


# --------------------------------------------------------------------------- API


def test_the_api_gives_each_line_its_nature_and_the_totals_per_year(yearly, client):
    _, secret = new_token(yearly.caf_staff)
    sheet = yearly.sheets["FA-01"]
    response = client.get(reverse("api:sheet", args=[sheet.pk]), **bearer(secret))
    assert response.status_code == 200, response.content
    funding = response.json()["funding"]
    assert {(li["year"], li["funder"], li["nature"]) for li in funding["lines"]} == {
        (2024, "Caf", OPERATING),
        (2025, "Caf", OPERATING),
        (2025, "Commune", INVESTMENT),
    }
    assert [(r["year"], r["gap"]) for r in funding["per_year"]] == [
        (2024, "-2000.00"),
        (2025, "-5000.00"),  # 70 000 € planned, 65 000 € spent
    ]


# --------------------------------------------------------------------------- the migration


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_lines_operating_and_goes_back(world):
    line = FundingLineFactory(
        sheet=ActionSheetFactory(convention=world.convention), funder="Caf", year=2024
    )
    before = ("actions", "0007_no_funding")
    after = ("actions", "0008_funding_nature")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([before])
        old = MigrationExecutor(connection).loader.project_state([before]).apps
        OldLine = old.get_model("actions", "FundingLine")
        assert "nature" not in {f.name for f in OldLine._meta.get_fields()}
        kept = OldLine.objects.get(pk=line.pk)
        assert (kept.funder, kept.year, kept.planned_amount) == ("Caf", 2024, 10000)
        OldLine.objects.create(sheet_id=line.sheet_id, funder="Commune", year=2025)
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        new = executor.loader.project_state([after]).apps
        NewLine = new.get_model("actions", "FundingLine")
        assert dict(NewLine.objects.values_list("funder", "nature")) == {
            "Caf": OPERATING,
            "Commune": OPERATING,
        }
        assert NewLine.objects.get(pk=line.pk).year == 2024  # the year was always there
    finally:
        call_command("migrate", verbosity=0)
