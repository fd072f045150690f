"""Progress reports at scale: a long period's measurements go to the workbook,
not to pages of PDF table (WeasyPrint would take tens of seconds)."""

import datetime
import io

from django.db.models import Count
from openpyxl import load_workbook
from pypdf import PdfReader

from bench import scale
from conventions.models import Convention
from reports.models import ProgressReport
from reports.render import PDF_MEASUREMENT_ROWS_MAX, render_pdf, render_xlsx
from reports.snapshot import build_snapshot


def test_a_report_with_many_measurements_points_to_the_workbook(db):
    scale.generate(conventions=1, seed=2)
    convention = Convention.objects.annotate(n=Count("action_sheets")).order_by("-n").first()
    report = ProgressReport.objects.create(
        convention=convention,
        period_start=convention.start_date,
        period_end=datetime.date.today(),
    )
    snapshot = build_snapshot(report)
    assert len(snapshot["measurements"]) > PDF_MEASUREMENT_ROWS_MAX
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report, snapshot))).pages
    )
    assert "détail figure dans le classeur XLSX" in " ".join(text.split())
    sheet = load_workbook(io.BytesIO(render_xlsx(report, snapshot)))["Mesures"]
    assert sheet.max_row - 1 == len(snapshot["measurements"])
