"""Where a value comes from (#16 item 2): every measurement records its source — typed by
whom, imported from the workbook, or imported from the Caf's open data with producer, data
set, vintage, file and method; the indicator page, the report (page, PDF and XLSX) and the
API show it; a value of the open data is not edited or deleted by hand without a reason."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from ctg import formatting
from diagnostics.models import StatisticImport
from evaluation import services, sources
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.imports import CellValue
from evaluation.models import Measurement, MeasurementImport
from reports import services as reporting
from reports.snapshot import indicator_progress_rows
from tests.test_api import bearer, new_token

D = datetime.date
YEAR_START, YEAR_END = D(2023, 1, 1), D(2023, 12, 31)
METHOD = (
    "Taux de couverture global petite enfance calculé par la Cnaf : places d'accueil "
    "formel pour 100 enfants de moins de 3 ans, par année."
)


def open_data_import(caf, *, filename="txcouv_pe_epci.csv", token="t-1", by=None):
    return StatisticImport.objects.create(
        caf=caf,
        dataset="txcouv_pe_epci",
        dataset_label="Taux de couverture petite enfance par EPCI (txcouv_pe_epci)",
        filename=filename,
        producer="Cnaf — Cafdata",
        vintage=2023,
        method=METHOD,
        imported_by=by,
        token=token,
    )


def open_data_value(indicator, record, *, date=YEAR_END, value=Decimal("54.60")):
    return MeasurementFactory(
        indicator=indicator,
        date=date,
        value=value,
        source_kind=Measurement.SourceKind.OPEN_DATA,
        source_import=record,
        entered_by=None,
        comment="",
    )


@pytest.fixture
def plan(world):
    sheet = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Accueil du jeune enfant",
        status=ActionSheet.Status.IN_PROGRESS,
    )
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Taux de couverture",
        unit="%",
        baseline_value=40,
        target_value=60,
        baseline_date=D(2022, 1, 1),
        target_date=D(2025, 12, 31),
    )
    return world, indicator


@pytest.fixture
def three_sources(plan):
    """A typed value, a value of the workbook and a value of the open data."""
    world, indicator = plan
    typed = MeasurementFactory(
        indicator=indicator, date=D(2022, 6, 30), value=42, entered_by=world.coordinator
    )
    sheet_import = MeasurementImport.objects.create(
        token="classeur-1", convention=world.convention, imported_by=world.caf_staff
    )
    from_sheet = MeasurementFactory(
        indicator=indicator,
        date=D(2022, 12, 31),
        value=45,
        entered_by=world.caf_staff,
        source_kind=Measurement.SourceKind.SPREADSHEET,
        spreadsheet_import=sheet_import,
    )
    record = open_data_import(world.caf, by=world.caf_staff)
    opened = open_data_value(indicator, record)
    return world, indicator, typed, from_sheet, opened


def page_of(client, world, indicator) -> str:
    response = client.get(reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk]))
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, measurement) -> str:
    start = html.index(f'id="mesure-{measurement.pk}"')
    return html[start : html.index("</tr>", start)]


def edit_url(world, measurement, action="measurement_edit"):
    return reverse(f"evaluation:{action}", args=[world.convention.pk, measurement.pk])


# ------------------------------------------------------------------ the words


def test_each_kind_of_source_has_its_badge_and_its_line(three_sources):
    world, indicator, typed, from_sheet, opened = three_sources
    assert sources.source_of(typed).badge == "Saisie"
    assert sources.source_label(typed).startswith("Saisie par Corinne")
    assert sources.source_of(from_sheet).badge == "Classeur"
    assert sources.source_label(from_sheet).startswith("Import du classeur par Claire")
    src = sources.source_of(opened)
    assert (src.badge, src.is_open_data, src.method) == ("Données ouvertes", True, METHOD)
    assert sources.source_label(opened).startswith(
        "Données ouvertes Cnaf — Cafdata : Taux de couverture petite enfance par EPCI "
        "(txcouv_pe_epci), millésime 2023, fichier txcouv_pe_epci.csv importé le "
        f"{formatting.date(opened.source_import.imported_at)} par Claire"
    )
    # Published data name nobody.
    assert sources.public_label(typed) == "Saisie"
    assert "Claire" not in sources.public_label(opened)


# ------------------------------------------------------------------ the indicator page


def test_the_indicator_page_shows_who_typed_which_workbook_and_which_open_data(
    three_sources, login
):
    world, indicator, typed, from_sheet, opened = three_sources
    html = page_of(login(world.elected), world, indicator)
    assert '<th scope="col">Source</th>' in html and "Saisie par" not in html
    typed_row = row_of(html, typed)
    assert ">Saisie</span>" in typed_row and "par Corinne" in typed_row
    sheet_row = row_of(html, from_sheet)
    assert ">Classeur</span>" in sheet_row and "importée par Claire" in sheet_row
    open_row = row_of(html, opened)
    assert ">Données ouvertes</span>" in open_row
    for words in ("Cnaf — Cafdata", "txcouv_pe_epci", "millésime 2023", "txcouv_pe_epci.csv"):
        assert words in open_row
    assert "Méthode" in open_row and "places d&#x27;accueil formel" in open_row


def test_the_indicator_page_reads_the_sources_in_a_constant_number_of_queries(
    plan, login, django_assert_max_num_queries
):
    world, indicator = plan
    client = login(world.caf_staff)
    MeasurementFactory(indicator=indicator, date=D(2022, 1, 31), entered_by=world.coordinator)
    with CaptureQueriesContext(connection) as one:
        page_of(client, world, indicator)
    sheet_import = MeasurementImport.objects.create(
        token="classeur-2", convention=world.convention, imported_by=world.caf_staff
    )
    for n in range(19):
        day = D(2022, 2, 1) + datetime.timedelta(days=30 * n)
        if n % 3 == 0:
            record = open_data_import(world.caf, filename=f"f{n}.csv", token=f"t{n}")
            open_data_value(indicator, record, date=day, value=50 + n)
        elif n % 3 == 1:
            MeasurementFactory(
                indicator=indicator,
                date=day,
                entered_by=world.caf_staff,
                source_kind=Measurement.SourceKind.SPREADSHEET,
                spreadsheet_import=sheet_import,
            )
        else:
            MeasurementFactory(indicator=indicator, date=day, entered_by=world.coordinator)
    assert indicator.measurements.count() == 20
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = page_of(client, world, indicator)
    assert html.count(">Données ouvertes</span>") == 7


# ------------------------------------------------------------------ the open-data rule


def test_it_refuses_changing_an_open_data_value_without_a_reason(three_sources, login):
    world, indicator, typed, from_sheet, opened = three_sources
    client = login(world.caf_staff)
    form = client.get(edit_url(world, opened)).content.decode()
    assert 'name="override_reason"' in form and "Raison du remplacement" in form
    response = client.post(edit_url(world, opened), {"value": "55", "comment": ""})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Cette valeur vient des données ouvertes de la Caf" in text
    assert "ne se modifie pas" in text
    opened.refresh_from_db()
    assert opened.value == Decimal("54.60")
    assert opened.source_kind == Measurement.SourceKind.OPEN_DATA
    with pytest.raises(ValidationError) as refused:
        services.measurement_update(
            measurement=opened, value=Decimal("55"), user=world.caf_staff, override_reason=" "
        )
    assert "override_reason" in refused.value.message_dict


def test_the_reason_field_is_offered_for_open_data_values_only(three_sources, login):
    world, indicator, typed, from_sheet, opened = three_sources
    client = login(world.caf_staff)
    for measurement in (typed, from_sheet):
        assert (
            'name="override_reason"'
            not in client.get(edit_url(world, measurement)).content.decode()
        )
        assert (
            'name="override_reason"'
            not in client.get(edit_url(world, measurement, "measurement_delete")).content.decode()
        )


def test_a_comment_on_an_open_data_value_needs_no_reason_and_keeps_its_source(three_sources, login):
    world, indicator, typed, from_sheet, opened = three_sources
    response = login(world.caf_staff).post(
        edit_url(world, opened), {"value": "54,60", "comment": "Ouverture de la crèche"}
    )
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.comment == "Ouverture de la crèche"
    assert opened.source_kind == Measurement.SourceKind.OPEN_DATA


def test_with_a_reason_an_open_data_value_becomes_typed_and_keeps_its_import_as_a_trace(
    three_sources, login
):
    world, indicator, typed, from_sheet, opened = three_sources
    client = login(world.caf_staff)
    reason = "Chiffre corrigé après vérification des places ouvertes"
    response = client.post(
        edit_url(world, opened), {"value": "56", "comment": "", "override_reason": reason}
    )
    assert response.status_code == 302
    opened.refresh_from_db()
    assert opened.value == Decimal("56")
    assert opened.source_kind == Measurement.SourceKind.TYPED
    assert opened.override_reason == reason
    assert opened.source_import is not None  # the import it replaced, as a trace
    assert opened.entered_by == world.caf_staff
    assert sources.is_override(opened)
    assert opened.history.first().history_change_reason == (
        f"Remplace la valeur des données ouvertes : {reason}"
    )
    row = row_of(page_of(client, world, indicator), opened)
    assert "Saisie (remplace les données ouvertes)" in row
    assert f"Raison du remplacement : « {reason} »" in row
    # Now typed: it is edited like any typed value, without a reason.
    again = client.post(edit_url(world, opened), {"value": "57", "comment": ""})
    assert again.status_code == 302


def test_it_refuses_deleting_an_open_data_value_without_a_reason(three_sources, login):
    world, indicator, typed, from_sheet, opened = three_sources
    client = login(world.caf_staff)
    url = edit_url(world, opened, "measurement_delete")
    assert 'name="override_reason"' in client.get(url).content.decode()
    response = client.post(url, {})
    assert response.status_code == 200
    assert "Cette valeur vient des données ouvertes de la Caf" in response.content.decode()
    assert Measurement.objects.filter(pk=opened.pk).exists()

    reason = "Valeur d'une commune sortie du territoire"
    assert client.post(url, {"override_reason": reason}).status_code == 302
    assert not Measurement.objects.filter(pk=opened.pk).exists()
    deleted = Measurement.history.filter(id=opened.pk, history_type="-").get()
    assert deleted.history_change_reason == f"Remplace la valeur des données ouvertes : {reason}"


def test_a_typed_value_is_deleted_without_a_reason(three_sources, login):
    world, indicator, typed, *_ = three_sources
    response = login(world.caf_staff).post(edit_url(world, typed, "measurement_delete"))
    assert response.status_code == 302
    assert not Measurement.objects.filter(pk=typed.pk).exists()


# ------------------------------------------------------------------ the workbook import


def test_a_workbook_import_records_its_source_and_leaves_open_data_alone(three_sources):
    world, indicator, typed, from_sheet, opened = three_sources
    new = CellValue(indicator.pk, D(2023, 6, 30), Decimal("50"), 2, "H")
    services.import_measurements(
        convention=world.convention, values=[new], user=world.coordinator, token="classeur-3"
    )
    created = Measurement.objects.get(indicator=indicator, date=D(2023, 6, 30))
    assert created.source_kind == Measurement.SourceKind.SPREADSHEET
    record = MeasurementImport.objects.get(token="classeur-3")
    assert created.spreadsheet_import == record and record.created == 1

    changed = CellValue(indicator.pk, opened.date, Decimal("60"), 2, "I")
    with pytest.raises(ValidationError) as refused:
        services.import_measurements(
            convention=world.convention,
            values=[changed, CellValue(indicator.pk, D(2023, 9, 30), Decimal("1"), 2, "J")],
            user=world.coordinator,
            token="classeur-4",
        )
    assert refused.value.messages[0].startswith(
        "Cellule I2 : Cette valeur vient des données ouvertes de la Caf"
    )
    opened.refresh_from_db()
    assert opened.value == Decimal("54.60") and sources.is_open_data(opened)
    # All or nothing: neither the other value nor the import's record is kept.
    assert not Measurement.objects.filter(date=D(2023, 9, 30)).exists()
    assert not MeasurementImport.objects.filter(token="classeur-4").exists()
    # The same figure again changes nothing (the workbook is pre-filled with it).
    same = CellValue(indicator.pk, opened.date, Decimal("54.60"), 2, "I")
    result = services.import_measurements(
        convention=world.convention, values=[same], user=world.coordinator, token="classeur-5"
    )
    assert result.unchanged == 1


# ------------------------------------------------------------------ the report


def build_report(convention, start=YEAR_START, end=YEAR_END):
    report, _ = reporting.report_request(convention=convention, period_start=start, period_end=end)
    return reporting.report_build(report_id=report.pk)


def test_the_report_page_and_workbook_show_the_source_of_each_last_value(three_sources, login):
    world, indicator, typed, from_sheet, opened = three_sources
    # A later value still waiting for the Caf's validation does not count.
    MeasurementFactory(
        indicator=indicator,
        date=D(2023, 12, 30),
        value=99,
        entered_by=world.coordinator,
        validation_state=Measurement.State.PENDING,
    )
    report = build_report(world.convention)
    row = next(r for r in report.snapshot["indicators"] if r["id"] == indicator.pk)
    assert row["last_value"] == 54.6
    assert row["source"] == sources.source_label(opened)

    html = (
        login(world.elected)
        .get(reverse("reports:report_detail", args=[world.convention.pk, report.pk]))
        .content.decode()
    )
    assert "Source de la dernière valeur : Données ouvertes Cnaf — Cafdata" in html
    assert "millésime 2023, fichier txcouv_pe_epci.csv" in html
    with report.pdf.open("rb") as handle:
        pdf = PdfReader(io.BytesIO(handle.read()))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Source de la dernière valeur : Données ouvertes Cnaf — Cafdata" in text

    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    sheet = workbook["Indicateurs"]
    header = [c.value for c in sheet[1]]
    column = header.index("Source de la dernière valeur")
    values = {r[1]: r[column] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Taux de couverture"] == sources.source_label(opened)
    measures = workbook["Mesures"]
    header = [c.value for c in measures[1]]
    assert header[-1] == "Source"
    listed = [r[-1] for r in measures.iter_rows(min_row=2, values_only=True)]
    assert sources.source_label(opened) in listed


def test_the_sources_of_the_report_take_one_query_whatever_the_indicators(
    plan, django_assert_max_num_queries
):
    world, indicator = plan
    record = open_data_import(world.caf)
    open_data_value(indicator, record)
    with CaptureQueriesContext(connection) as one:
        indicator_progress_rows(convention=world.convention, as_of=D(2023, 12, 31))
    for n in range(8):
        other = IndicatorFactory(action_sheet=indicator.action_sheet, name=f"Indicateur {n}")
        if n % 2:
            open_data_value(other, record, date=D(2023, 6, 30))
        else:
            MeasurementFactory(indicator=other, date=D(2023, 6, 30), entered_by=world.caf_staff)
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows, _ = indicator_progress_rows(convention=world.convention, as_of=D(2023, 12, 31))
    assert sum(r["source"].startswith("Données ouvertes") for r in rows) == 5
    assert sum(r["source"].startswith("Saisie par Claire") for r in rows) == 4


# ------------------------------------------------------------------ the API


def test_the_api_gives_each_measurement_its_origin(three_sources):
    world, indicator, typed, from_sheet, opened = three_sources
    _, raw = new_token(world.caf_staff)
    response = Client().get(reverse("api:measurement", args=[opened.pk]), **bearer(raw))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source_kind"] == "donnees_ouvertes"
    assert body["source_label"] == sources.source_label(opened)
    typed_body = Client().get(reverse("api:measurement", args=[typed.pk]), **bearer(raw)).json()
    assert typed_body["source_kind"] == "saisie"
    assert typed_body["source_label"].startswith("Saisie par Corinne")
