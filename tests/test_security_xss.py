"""Hostile text: what people write is shown as text everywhere, never run.

XSS payloads go into a convention title, a fiche title, a committee comment, a
transition reason, an observation and an imported CSV cell; they must come out
escaped in pages and HTML e-mails, as literal text in PDFs and workbooks, and a
workbook cell starting with = + - @ must not be a formula.
"""

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from actions import services as action_services
from actions.factories import ActionSheetFactory
from actions.models import ActionSheet, Approval
from conventions.models import Collectivity, Convention
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.models import ChangeSought, ProgressMarker
from portal.document import convention_document_data, render_convention_pdf
from reports import services as reporting

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"Titre {SCRIPT} {IMG}"
#: What Django's escaping makes of the payload.
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
#: Cells a spreadsheet would run as formulas.
FORMULAS = ['=HYPERLINK("http://evil.example","clic")', "+33 6 00", "-2+3", "@SUM(A1:A2)"]


def assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html.replace(ESCAPED_IMG, "")
    assert ESCAPED_SCRIPT in html
    assert ESCAPED_IMG in html


def squeeze(text: str) -> str:
    """PDF text without the spaces and line breaks the layout may add."""
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_literal_in_pdf(text: str) -> None:
    flat = squeeze(text)
    assert squeeze(SCRIPT) in flat
    assert squeeze(IMG) in flat
    assert "&lt;" not in text and "&quot;" not in text


@pytest.fixture
def hostile(world):
    """The convention and a fiche whose titles are payloads."""
    Convention.objects.filter(pk=world.convention.pk).update(name=PAYLOAD)
    world.convention.refresh_from_db()
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", title=PAYLOAD
    )
    return sheet


# --- Pages ----------------------------------------------------------------------------------


def test_a_hostile_convention_and_fiche_title_are_escaped_in_pages(world, login, hostile):
    client = login(world.caf_staff)
    pk = world.convention.pk
    for url in [
        reverse("conventions:list"),
        reverse("portal:detail", args=[pk]),
        reverse("actions:plan", args=[pk]),
        reverse("actions:sheet", args=[pk, hostile.pk]),
        reverse("evaluation:overview", args=[pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode())


def test_a_hostile_comment_and_reason_are_escaped_in_pages(world, login, hostile):
    action_services.action_sheet_submit(sheet=hostile, by=world.coordinator)
    action_services.approval_give(
        sheet=hostile,
        member=world.territory_seat,
        decision=Approval.Decision.TO_REVIEW,
        comment=PAYLOAD,
    )
    abandoned = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-02", title="Sans objet"
    )
    action_services.action_sheet_abandon(sheet=abandoned, by=world.caf_staff, reason=PAYLOAD)
    client = login(world.caf_staff)
    pk = world.convention.pk
    sheet_page = client.get(reverse("actions:sheet", args=[pk, hostile.pk])).content.decode()
    assert_escaped(sheet_page)
    assert sheet_page.count(ESCAPED_SCRIPT) >= 2  # the title and the comment
    abandoned_page = client.get(reverse("actions:sheet", args=[pk, abandoned.pk])).content.decode()
    assert_escaped(abandoned_page)
    history = client.get(reverse("portal:history", args=[pk]))
    assert history.status_code == 200
    assert_escaped(history.content.decode())


def test_a_hostile_observation_is_escaped_on_the_follow_up_page(world, login):
    change = ChangeSought.objects.create(
        convention=world.convention, title=PAYLOAD, actor="Parents"
    )
    marker = ProgressMarker.objects.create(change=change, level="attendu", text=PAYLOAD)
    evaluation_services.add_observation(
        marker=marker,
        date=datetime.date.today(),
        degree="partiel",
        text=f"Observation {SCRIPT} {IMG}",
        user=world.caf_staff,
    )
    html = login(world.caf_staff).get(reverse("evaluation:changes", args=[world.convention.pk]))
    page = html.content.decode()
    assert_escaped(page)
    assert f"Observation {ESCAPED_SCRIPT}" in page


def test_a_hostile_imported_csv_cell_is_stored_as_text_and_escaped(world, login):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["code", "nom", "type", "code_epci", "population"])
    writer.writerow(["82137", PAYLOAD, "commune", "", "580"])
    writer.writerow(["82155", '=HYPERLINK("http://evil.example")', "commune", "", "1 900"])
    client = login(world.caf_staff)
    response = client.post(
        reverse("conventions:collectivity_import"),
        {"file": SimpleUploadedFile("communes.csv", buffer.getvalue().encode("utf-8"))},
        follow=True,
    )
    assert response.status_code == 200
    assert Collectivity.objects.get(code="82137").name == PAYLOAD  # kept as written
    page = client.get(reverse("conventions:collectivities"), {"q": "Titre"}).content.decode()
    assert_escaped(page)


# --- E-mails --------------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_html_mails_and_literal_in_plain_text(
    world, hostile, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        action_services.action_sheet_submit(sheet=hostile, by=world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        action_services.approval_give(
            sheet=hostile,
            member=world.territory_seat,
            decision=Approval.Decision.TO_REVIEW,
            comment=f"Commentaire {SCRIPT} {IMG}",
        )
    assert len(mailoutbox) >= 2
    decision = [m for m in mailoutbox if "à revoir" in m.subject]
    assert decision, [m.subject for m in mailoutbox]
    for message in mailoutbox:
        assert "\n" not in message.subject
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert_escaped(html)
        # The text part is not HTML: the title reads as written, without entities.
        assert PAYLOAD in message.body
        assert "&lt;" not in message.body
    html = decision[0].alternatives[0][0]
    assert f"Commentaire {ESCAPED_SCRIPT}" in html


def test_hostile_text_is_escaped_in_the_report_mail(world, hostile, mailoutbox):
    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 6, 30),
    )
    reporting.report_build(report_id=report.pk)
    mailoutbox.clear()
    sent = reporting.report_deliver(report_id=report.pk)
    assert sent and mailoutbox
    for message in mailoutbox:
        html, mimetype = message.alternatives[0]
        assert mimetype == "text/html"
        assert_escaped(html)
        assert "&lt;" not in message.body


# --- PDF ------------------------------------------------------------------------------------


def test_the_convention_pdf_shows_hostile_titles_as_literal_text(world, hostile):
    ActionSheet.objects.filter(pk=hostile.pk).update(
        status=ActionSheet.Status.VALIDATED, approved_version=1
    )
    text = pdf_text(
        render_convention_pdf(data=convention_document_data(convention=world.convention))
    )
    assert_literal_in_pdf(text)


def test_the_report_pdf_shows_hostile_titles_as_literal_text(world, hostile):
    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 6, 30),
    )
    report = reporting.report_build(report_id=report.pk)
    with report.pdf.open("rb") as handle:
        text = pdf_text(handle.read())
    assert_literal_in_pdf(text)


# --- XLSX -----------------------------------------------------------------------------------


def _cells(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return [cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row]


def assert_safe_workbook(data: bytes, expected_texts) -> None:
    cells = _cells(data)
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
    values = [c.value for c in cells if isinstance(c.value, str)]
    for text in expected_texts:
        if text.startswith(("=", "+", "-", "@")):
            assert "'" + text in values, text
            assert text not in values, text
        else:
            assert text in values, text


def test_the_plan_export_holds_literal_text_and_no_formula(world, login):
    ActionSheetFactory(
        ready=True,
        convention=world.convention,
        number="FA-01",
        title=PAYLOAD,
        lead=FORMULAS[1],
        partners=FORMULAS[3],
        description=FORMULAS[2],
    )
    ActionSheetFactory(ready=True, convention=world.convention, number="FA-02", title=FORMULAS[0])
    response = login(world.caf_staff).get(reverse("actions:export", args=[world.convention.pk]))
    assert response.status_code == 200
    assert_safe_workbook(response.content, [PAYLOAD, *FORMULAS])


def test_the_measurement_workbook_holds_literal_text_and_no_formula(world, login):
    sheet = ActionSheetFactory(
        ready=True, convention=world.convention, number="FA-01", title=PAYLOAD
    )
    IndicatorFactory(action_sheet=sheet, name=FORMULAS[0], unit=FORMULAS[3])
    IndicatorFactory(action_sheet=sheet, name=PAYLOAD, unit=FORMULAS[2])
    response = login(world.caf_staff).get(
        reverse("evaluation:workbook", args=[world.convention.pk])
    )
    assert response.status_code == 200
    assert_safe_workbook(response.content, [PAYLOAD, FORMULAS[0], FORMULAS[3], FORMULAS[2]])


def test_the_report_workbook_holds_literal_text_and_no_formula(world, hostile):
    ActionSheetFactory(ready=True, convention=world.convention, number="FA-02", title=FORMULAS[0])
    ActionSheetFactory(ready=True, convention=world.convention, number="FA-03", title=FORMULAS[3])
    report, _ = reporting.report_request(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 6, 30),
    )
    report = reporting.report_build(report_id=report.pk)
    with report.xlsx.open("rb") as handle:
        assert_safe_workbook(handle.read(), [PAYLOAD, FORMULAS[0], FORMULAS[3]])
