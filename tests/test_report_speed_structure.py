"""What keeps a progress report's build fast at scale (issue #20), checked by its structure,
not by a stopwatch: the snapshot's queries do not grow with the convention, the measurements
are read by indicator, each chart reaches the PDF once, the dense tables use short dates."""

import datetime
import gc
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, ObjectiveFactory
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.figures import sheet_status_figure
from evaluation.models import Measurement
from reports import services as reporting
from reports.models import ProgressReport
from reports.render import BUILD_GC_GEN0_THRESHOLD, long_lived_objects_frozen, pdf_chart
from reports.snapshot import build_snapshot

D = datetime.date
START, END = D(2023, 1, 1), D(2023, 12, 31)


def _report(convention, end=END) -> ProgressReport:
    return ProgressReport.objects.select_related("convention", "meeting").get(
        pk=ProgressReport.objects.create(
            convention=convention, period_start=START, period_end=end
        ).pk
    )


def _fiche_with_measurements(convention, number: int, measurements: int) -> None:
    sheet = ActionSheetFactory(convention=convention, number=f"FA-{number:02d}")
    indicator = IndicatorFactory(action_sheet=sheet, name=f"Indicateur de la fiche {number}")
    for month in range(1, measurements + 1):
        MeasurementFactory(indicator=indicator, date=D(2023, month, 28), value=10 + month)


def _snapshot_queries(convention, end) -> tuple[int, dict]:
    report = _report(convention, end)
    with CaptureQueriesContext(connection) as queries:
        snapshot = build_snapshot(report)
    return len(queries.captured_queries), snapshot


def test_the_snapshot_takes_the_same_queries_for_ten_times_the_fiches_and_measurements(world):
    convention = world.convention
    _fiche_with_measurements(convention, 1, measurements=2)
    small, small_snapshot = _snapshot_queries(convention, D(2023, 12, 30))
    for number in range(2, 11):
        _fiche_with_measurements(convention, number, measurements=12)
    large, large_snapshot = _snapshot_queries(convention, END)
    assert len(small_snapshot["measurements"]) == 2
    assert len(large_snapshot["measurements"]) == 2 + 9 * 12
    assert large == small


def test_the_snapshot_lists_the_measurements_of_the_objectives_indicators_with_the_fiches(world):
    convention = world.convention
    objective = ObjectiveFactory(convention=convention, title="Mieux accueillir")
    held = IndicatorFactory(action_sheet=None, objective=objective, name="Familles accueillies")
    MeasurementFactory(indicator=held, date=D(2023, 6, 30), value=40)
    _fiche_with_measurements(convention, 1, measurements=1)
    # Another convention's measurement of the same day stays out.
    MeasurementFactory(indicator__action_sheet__convention=world.other_convention, date=END)
    snapshot = build_snapshot(_report(convention))
    rows = [(m["fiche"], m["indicator"], m["date"], m["value"]) for m in snapshot["measurements"]]
    assert rows == [
        ("FA-01", "Indicateur de la fiche 1", "2023-01-28", 11.0),
        ("", "Familles accueillies", "2023-06-30", 40.0),
    ]
    assert snapshot["measurements"][0]["unit"] == "places"


def test_a_value_awaiting_validation_stays_out_of_the_measurements_and_is_counted_apart(world):
    convention = world.convention
    _fiche_with_measurements(convention, 1, measurements=2)
    pending = Measurement.objects.get(date=D(2023, 2, 28))
    pending.validation_state = Measurement.State.PENDING
    pending.save()
    snapshot = build_snapshot(_report(convention))
    assert [m["date"] for m in snapshot["measurements"]] == ["2023-01-28"]
    assert snapshot["summary"]["measurements_awaiting_validation"] == 1


def test_a_chart_reaches_the_pdf_as_its_wide_drawing_only():
    figure = sheet_status_figure(
        [{"status": "en_cours", "label": "En cours", "count": 3}], title="Fiches par statut"
    )
    page = str(figure)
    assert page.count("<svg") == 2 and "<details" in page  # the page: wide, phone, data
    pdf = pdf_chart(figure)
    assert pdf.count("<svg") == 1 and "<details" not in pdf and "ctg-chart-phone" not in pdf
    assert figure.svg in pdf
    assert pdf_chart(None) is None


def test_a_build_leaves_the_garbage_collector_as_it_found_it():
    before = gc.get_threshold()
    try:
        with long_lived_objects_frozen():
            assert gc.get_threshold() == (BUILD_GC_GEN0_THRESHOLD, *before[1:])
            assert gc.get_freeze_count() > 0
            raise RuntimeError("a failed build")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def _pdf_text(report) -> str:
    with report.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_first_report_has_no_evolution_column_and_the_next_one_has(world):
    convention = world.convention
    _fiche_with_measurements(convention, 1, measurements=1)
    first, _ = reporting.report_request(
        convention=convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
    )
    first = reporting.report_build(report_id=first.pk)
    ActionSheetFactory(convention=convention, number="FA-02", title="Ouvrir un espace jeunes")
    second, _ = reporting.report_request(
        convention=convention, period_start=D(2023, 7, 1), period_end=D(2023, 12, 31)
    )
    second = reporting.report_build(report_id=second.pk)
    assert "Évolution" not in _pdf_text(first)
    text = _pdf_text(second)
    assert "Évolution" in text and "nouvelle" in text


def test_the_dense_tables_of_the_pdf_write_short_dates(world):
    convention = world.convention
    _fiche_with_measurements(convention, 1, measurements=3)
    report, _ = reporting.report_request(convention=convention, period_start=START, period_end=END)
    text = _pdf_text(reporting.report_build(report_id=report.pk))
    assert "28/03/2023" in text  # the measurements' table
    assert "28 mars 2023" not in text
    assert "1er janvier 2023" in text  # the period, in the title, stays long


def _document_html(monkeypatch, report) -> str:
    """The HTML a build hands to WeasyPrint (captured on its way)."""
    import weasyprint

    seen = []
    real = weasyprint.HTML

    def capture(*, string, base_url):
        seen.append(string)
        return real(string=string, base_url=base_url)

    monkeypatch.setattr(weasyprint, "HTML", capture)
    reporting.report_build(report_id=report.pk)
    (html,) = seen
    return html


def test_the_pdf_annex_gives_each_reference_sheet_as_one_paragraph_with_every_filled_field(
    world, monkeypatch
):
    """WeasyPrint lays out each box of text: a sheet is a title and one paragraph, its lines
    broken by newlines (no term and definition per field, no <br>), its empty fields left
    out (the annex's introduction says so), every filled field still there."""
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01", title="Relais")
    IndicatorFactory(
        action_sheet=sheet,
        name="Places ouvertes",
        definition="Places d'accueil ouvertes.",
        calculation_method="Somme des places.",
        verification_means="Rapport d'activité.",
        known_limits="Déclaratif.",
    )
    IndicatorFactory(action_sheet=sheet, name="Familles suivies", definition="")
    report, _ = reporting.report_request(
        convention=world.convention, period_start=START, period_end=END
    )
    html = _document_html(monkeypatch, report)
    annex = html[html.index("Annexe : fiches de référence") :]
    annex = annex[: annex.index("</section>")]
    assert "<dt>" not in annex and "<dd>" not in annex and "<br>" not in annex
    assert annex.count('<p class="reference-sheet">') == 2
    assert "Une rubrique absente n'est pas renseignée." in annex
    assert annex.count("<strong>Définition :</strong>") == 1
    assert "non renseignée" not in annex
    text = _pdf_text(ProgressReport.objects.get(pk=report.pk))
    for words in (
        "FA-01 · Places ouvertes (places)",
        "Définition : Places d'accueil ouvertes.",
        "Mode de calcul : Somme des places.",
        "Moyens de vérification : Rapport d'activité.",
        "Limites connues : Déclaratif.",
        "Cibles : cible finale 20 au 31 décembre 2025 (référence 10)",
        "FA-01 · Familles suivies (places)",
    ):
        assert words in text, words
    # The fiches' table: the number and title of a fiche in one cell.
    assert "<td>FA-01 · Relais</td>" in html
