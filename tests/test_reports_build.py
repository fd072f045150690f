"""Progress reports: content, idempotence, retries, deliveries, dispatch, archive."""

import datetime
import io
import smtplib
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.factories import ActionSheetFactory, FundingLineFactory
from actions.models import ActionSheet, ActionSheetTransition
from conventions.factories import ConventionFactory, MeetingFactory
from conventions.models import Convention
from ctg.spreadsheets import DATE_FORMAT, EURO_FORMAT, PERCENT_FORMAT
from diagnostics.factories import thematic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from reports import services as reporting
from reports.models import ProgressReport, ReportDelivery

D = datetime.date
H1_START, H1_END = D(2023, 1, 1), D(2023, 6, 30)


@pytest.fixture
def plan(world):
    """A convention in implementation with fiches, indicators and measurements."""
    convention = world.convention
    convention.thematics.set([thematic("petite-enfance"), thematic("jeunesse")])
    crèche = ActionSheetFactory(
        convention=convention,
        number="FA-01",
        title="Ouvrir une micro-crèche",
        status=ActionSheet.Status.IN_PROGRESS,
    )
    youth = ActionSheetFactory(
        convention=convention,
        number="FA-02",
        title="Créer un conseil des jeunes",
        thematic=thematic("jeunesse"),
        status=ActionSheet.Status.SUBMITTED,
    )
    FundingLineFactory(sheet=crèche, funder="Caf", planned_amount=20000, spent_amount=5000)
    late = IndicatorFactory(
        action_sheet=crèche,
        name="Places de micro-crèche ouvertes",
        baseline_value=0,
        target_value=10,
        baseline_date=D(2022, 1, 1),
        target_date=D(2024, 1, 1),
    )
    MeasurementFactory(indicator=late, date=D(2023, 6, 30), value=1)
    on_track = IndicatorFactory(
        action_sheet=youth,
        name="Jeunes participant au conseil",
        baseline_value=0,
        target_value=20,
        baseline_date=D(2022, 1, 1),
        target_date=D(2024, 1, 1),
    )
    MeasurementFactory(indicator=on_track, date=D(2023, 3, 31), value=15)
    return world


def build(convention, start=H1_START, end=H1_END, **kwargs):
    report, _ = reporting.report_request(
        convention=convention, period_start=start, period_end=end, **kwargs
    )
    return reporting.report_build(report_id=report.pk)


def pdf_text(report) -> str:
    with report.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_report_pdf_holds_the_convention_period_thematics_and_late_indicators(plan):
    report = build(plan.convention)
    assert report.status == ProgressReport.Status.READY
    text = " ".join(pdf_text(report).split())
    assert "CTG des Deux Rives" in text
    assert "1er janvier 2023" in text and "30 juin 2023" in text
    assert "Petite enfance" in text and "Jeunesse" in text
    assert "Indicateurs en retard" in text
    late = report.snapshot["late_indicators"]
    assert [row["name"] for row in late] == ["Places de micro-crèche ouvertes"]
    assert "Places de micro-crèche ouvertes" in text
    assert "Page 1 sur" in text
    assert "Caf de Tarn-et-Garonne" in text


def test_the_snapshot_ignores_measurements_after_the_period(plan):
    indicator = plan.convention.action_sheets.get(number="FA-02").indicators.get()
    MeasurementFactory(indicator=indicator, date=D(2023, 9, 30), value=19)
    report = build(plan.convention)
    row = next(r for r in report.snapshot["indicators"] if r["id"] == indicator.pk)
    assert row["last_value"] == 15.0
    assert row["last_date"] == "2023-03-31"
    assert [m["value"] for m in report.snapshot["measurements"]] == [15.0, 1.0]


def test_the_report_workbook_has_one_sheet_per_part(plan):
    report = build(plan.convention)
    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    assert workbook.sheetnames == [
        "Synthèse",
        "Fiches",
        "Changements",
        "Avis",
        "Thématiques",
        "Indicateurs",
        "Mesures",
        "Financements",
        "Financements par année",
        "Observations",
        "Réunions",
    ]
    fiches = list(workbook["Fiches"].iter_rows(values_only=True))
    assert fiches[1][:4] == ("FA-01", "Ouvrir une micro-crèche", "Petite enfance", "En cours")
    funding = list(workbook["Financements"].iter_rows(values_only=True))
    assert funding[1] == ("Caf", 20000, 5000, 0.25, -15000)
    indicators = {row[1]: row for row in workbook["Indicateurs"].iter_rows(values_only=True)}
    assert indicators["Places de micro-crèche ouvertes"][9] == "En retard"
    assert indicators["Places de micro-crèche ouvertes"][7] == pytest.approx(0.1)
    assert workbook["Indicateurs"]["H2"].number_format == "0 %"


def test_the_report_workbook_writes_dates_amounts_and_shares_as_numbers_with_french_formats(plan):
    report = build(plan.convention)
    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    summary = {row[0].value: row[1] for row in workbook["Synthèse"].iter_rows()}
    assert summary["Période du"].is_date and summary["Période du"].number_format == DATE_FORMAT
    assert summary["Financements prévus"].data_type == "n"
    assert summary["Financements prévus"].number_format == EURO_FORMAT
    funding = workbook["Financements"]
    assert [c.value for c in funding[1]] == [
        "Financeur",
        "Prévu",
        "Dépensé",
        "Taux de consommation",
        "Écart (dépensé − prévu)",
    ]
    assert funding["B2"].number_format == funding["C2"].number_format == EURO_FORMAT
    assert funding["E2"].number_format == EURO_FORMAT
    assert funding["D2"].number_format == PERCENT_FORMAT
    indicators = workbook["Indicateurs"]
    assert indicators["D2"].data_type == indicators["E2"].data_type == "n"  # baseline, target
    measures = workbook["Mesures"]
    assert measures["C2"].is_date and measures["C2"].number_format == DATE_FORMAT
    assert measures["D2"].data_type == "n"
    for sheet in workbook.worksheets[1:]:
        assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb == "FF00509E", sheet.title


def test_a_large_convention_gets_progress_per_fiche_in_the_pdf_and_every_indicator_in_the_xlsx(
    plan, monkeypatch
):
    from reports import render as report_render

    monkeypatch.setattr(report_render, "PDF_INDICATOR_ROWS_MAX", 1)
    report = build(plan.convention)
    text = " ".join(pdf_text(report).split())
    assert "2 indicateurs : leur détail figure dans le classeur XLSX" in text
    assert "avancement par fiche action" in text
    # FA-01: one indicator, late, 10 % of the way; FA-02: one, 75 %.
    assert "FA-01 1 10 % 1 0" in text and "FA-02 1 75 % 0 0" in text
    assert "Dernière valeur" not in text  # the column of the one-row-per-indicator table
    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    names = {row[1] for row in workbook["Indicateurs"].iter_rows(min_row=2, values_only=True)}
    assert names == {"Places de micro-crèche ouvertes", "Jeunes participant au conseil"}


def test_a_small_convention_lists_every_indicator_in_the_pdf(plan):
    text = " ".join(pdf_text(build(plan.convention)).split())
    assert "Dernière valeur" in text and "Jeunes participant au conseil" in text
    assert "leur détail figure dans le classeur XLSX" not in text


def test_a_cell_that_looks_like_a_formula_is_neutralised(plan):
    ActionSheetFactory(convention=plan.convention, number="FA-03", title='=HYPERLINK("x")')
    report = build(plan.convention)
    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    titles = [row[1] for row in workbook["Fiches"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("x")' in titles


def test_the_report_shows_what_changed_since_the_previous_one(plan):
    build(plan.convention, D(2023, 1, 1), D(2023, 6, 30))
    ActionSheet.objects.filter(number="FA-02").update(status=ActionSheet.Status.VALIDATED)
    ActionSheetFactory(convention=plan.convention, number="FA-04", title="Nouvelle action")
    second = build(plan.convention, D(2023, 7, 1), D(2023, 12, 31))
    fiches = {f["number"]: f for f in second.snapshot["fiches"]}
    assert fiches["FA-02"]["previous_status"] == ActionSheet.Status.SUBMITTED
    assert fiches["FA-04"]["is_new"] is True
    assert second.snapshot["summary"]["fiches_changed_since_previous"] == 1
    assert second.snapshot["previous"]["end"] == "2023-06-30"
    assert "a changé de statut" in pdf_text(second)


def test_building_twice_changes_nothing(plan):
    report = build(plan.convention)
    pdf_name, generated_at = report.pdf.name, report.generated_at
    again = reporting.report_build(report_id=report.pk)
    assert (again.pdf.name, again.generated_at) == (pdf_name, generated_at)
    same, queued = reporting.report_request(
        convention=plan.convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
    )
    assert same.pk == report.pk and queued is False
    assert ProgressReport.objects.count() == 1


def test_a_request_queues_the_build_after_commit_and_delivers(
    plan, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report, queued = reporting.report_request(
            convention=plan.convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
        )
        assert queued and ProgressReport.objects.get().status == "pending"
    assert len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.READY
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["marc@caf82.fr", "maud@ccdr.fr"]
    message = mailoutbox[0]
    assert "CTG des Deux Rives" in message.subject
    assert message.attachments[0][2] == "application/pdf"
    assert message.alternatives[0][1] == "text/html"
    assert f"/rapports/{report.pk}/" in message.body
    deliveries = ReportDelivery.objects.filter(report=report)
    assert {d.status for d in deliveries} == {ReportDelivery.Status.SENT}


def test_delivering_twice_sends_each_recipient_one_mail(plan, mailoutbox):
    report = build(plan.convention)
    assert reporting.report_deliver(report_id=report.pk) == 2
    assert reporting.report_deliver(report_id=report.pk) == 0
    assert len(mailoutbox) == 2
    assert ReportDelivery.objects.count() == 2


def test_a_large_pdf_is_linked_not_attached(plan, mailoutbox, monkeypatch):
    monkeypatch.setattr(reporting, "ATTACHMENT_MAX_BYTES", 10)
    report = build(plan.convention)
    reporting.report_deliver(report_id=report.pk)
    assert mailoutbox[0].attachments == []
    assert "joint" not in mailoutbox[0].body


def test_a_transient_mail_failure_is_retried(plan, mailoutbox, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    from reports.tasks import deliver_report

    report = build(plan.convention)
    real_send = EmailMultiAlternatives.send
    calls = {"n": 0}

    def flaky_send(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("connexion perdue")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky_send)
    # throw=False: let Celery handle the retry as a worker would (eager mode re-runs it).
    deliver_report.apply(args=[report.pk], throw=False).get()
    assert len(mailoutbox) == 2
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_failed_build_is_recorded_with_its_error_and_retried(plan, monkeypatch):
    from reports import render as report_render
    from reports.tasks import build_report

    report, _ = reporting.report_request(
        convention=plan.convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
    )
    real = report_render.render_pdf
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disque indisponible")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_render, "render_pdf", flaky)
    build_report.apply(args=[report.pk], throw=False).get()
    report.refresh_from_db()
    assert calls["n"] == 2
    assert report.status == ProgressReport.Status.READY
    assert report.attempts == 2


def test_a_permanent_failure_leaves_a_failed_report_visible_on_the_archive(
    plan, monkeypatch, login
):
    from reports import snapshot as report_snapshot

    def broken(report):
        raise ValueError("données incohérentes")

    monkeypatch.setattr(report_snapshot, "build_snapshot", broken)
    report, _ = reporting.report_request(
        convention=plan.convention, period_start=D(2023, 1, 1), period_end=D(2023, 6, 30)
    )
    with pytest.raises(ValueError):
        reporting.report_build(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.FAILED
    assert not report.pdf
    page = login(plan.caf_staff).get(reverse("reports:reports", args=[plan.convention.pk]))
    content = page.content.decode()
    assert "En échec" in content and "données incohérentes" in content


def test_the_dispatcher_builds_due_reports_only_for_conventions_being_carried_out(
    plan, django_capture_on_commit_callbacks
):
    Convention.objects.filter(pk=plan.convention.pk).update(
        reporting_frequency=Convention.Frequency.QUARTERLY
    )
    draft = ConventionFactory(caf=plan.caf, phase=Convention.Phase.DIAGNOSTIC)
    closed = ConventionFactory(caf=plan.caf, phase=Convention.Phase.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        queued = reporting.dispatch_due_reports(today=D(2023, 4, 2))
    reports = ProgressReport.objects.all()
    assert [r.pk for r in reports] == queued
    assert {r.convention_id for r in reports} == {plan.convention.pk, plan.other_convention.pk}
    mine = reports.get(convention=plan.convention)
    assert (mine.period_start, mine.period_end) == (D(2023, 1, 1), D(2023, 3, 31))
    assert mine.status == ProgressReport.Status.READY
    assert not ProgressReport.objects.filter(convention__in=[draft, closed]).exists()
    # Safe to run twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert reporting.dispatch_due_reports(today=D(2023, 4, 3)) == []
    assert ProgressReport.objects.count() == 2


def test_one_conventions_failure_never_stops_the_others(plan, monkeypatch):
    from reports import schedule

    real = schedule.report_period_due

    def failing_for_first(convention, today):
        if convention.pk == plan.convention.pk:
            raise RuntimeError("boum")
        return real(convention, today)

    monkeypatch.setattr(reporting, "report_period_due", failing_for_first)
    reporting.dispatch_due_reports(today=D(2023, 4, 2))
    assert list(ProgressReport.objects.values_list("convention_id", flat=True)) == [
        plan.other_convention.pk
    ]


def test_a_meeting_pack_is_built_some_days_before_the_meeting(
    plan, django_capture_on_commit_callbacks
):
    meeting_at = datetime.datetime(2023, 10, 20, 14, 0, tzinfo=datetime.UTC)
    MeetingFactory(
        committee=plan.committee,
        date=datetime.datetime(2023, 3, 10, 14, 0, tzinfo=datetime.UTC),
        decisions="Lancer la micro-crèche",
    )
    MeetingFactory(committee=plan.committee, date=meeting_at, agenda="Bilan à mi-parcours")
    too_early = datetime.datetime(2023, 10, 5, 8, 0, tzinfo=datetime.UTC)
    assert reporting.dispatch_meeting_packs(now=too_early) == []
    with django_capture_on_commit_callbacks(execute=True):
        queued = reporting.dispatch_meeting_packs(
            now=datetime.datetime(2023, 10, 12, 8, 0, tzinfo=datetime.UTC)
        )
    pack = ProgressReport.objects.get(pk__in=queued)
    assert pack.kind == ProgressReport.Kind.MEETING_PACK
    assert (pack.period_start, pack.period_end) == (D(2023, 3, 10), D(2023, 10, 20))
    assert pack.status == ProgressReport.Status.READY
    assert pack.snapshot["meeting"]["agenda"] == "Bilan à mi-parcours"
    assert [f["number"] for f in pack.snapshot["pending_fiches"]] == ["FA-02"]
    assert pack.snapshot["decisions_log"][0]["decisions"] == "Lancer la micro-crèche"
    text = pdf_text(pack)
    assert "Dossier de séance" in text and "Relevé des décisions" in text


@pytest.mark.parametrize(
    "role, status",
    [
        ("caf_staff", 200),
        ("coordinator", 200),
        ("elected", 200),
        ("member_caf", 200),
        ("member_territory", 200),
        ("other_caf_staff", 404),
        ("other_elected", 404),
        ("outsider", 404),
    ],
)
def test_the_archive_and_downloads_are_for_the_conventions_roles_only(plan, login, role, status):
    report = build(plan.convention)
    client = login(getattr(plan, role))
    args = [plan.convention.pk, report.pk]
    for name in ("reports:reports", "reports:report_detail"):
        url = reverse(name, args=args[: 1 if name == "reports:reports" else 2])
        assert client.get(url).status_code == status
    pdf = client.get(reverse("reports:report_pdf", args=args))
    assert pdf.status_code == status
    xlsx = client.get(reverse("reports:report_xlsx", args=args))
    assert xlsx.status_code == status
    if status == 200:
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
        assert pdf["Content-Disposition"].startswith("attachment")


def test_a_ready_report_whose_file_is_gone_answers_404_in_french_not_500(plan, login, caplog):
    report = build(plan.convention)
    report.pdf.storage.delete(report.pdf.name)  # media lost, or not restored with the database
    response = login(plan.elected).get(
        reverse("reports:report_pdf", args=[plan.convention.pk, report.pk])
    )
    assert response.status_code == 404
    assert f"file {report.pdf.name} missing from storage" in caplog.text


def test_the_report_page_shows_the_summary_and_charts(plan, login):
    report = build(plan.convention)
    content = (
        login(plan.elected)
        .get(reverse("reports:report_detail", args=[plan.convention.pk, report.pk]))
        .content.decode()
    )
    assert "L'essentiel pour les élus" in content
    assert 'role="img"' in content
    assert "Places de micro-crèche ouvertes" in content


def test_caf_staff_generate_a_report_now(plan, login, django_capture_on_commit_callbacks):
    client = login(plan.caf_staff)
    url = reverse("reports:report_request", args=[plan.convention.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"period_start": "2023-01-01", "period_end": "2023-06-30"})
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == ProgressReport.Status.READY
    assert report.requested_by == plan.caf_staff
    page = client.get(reverse("reports:reports", args=[plan.convention.pk])).content.decode()
    assert "Prêt" in page and "rapport.pdf" in page


def test_a_report_period_outside_the_convention_is_refused_in_french(plan, login):
    response = login(plan.caf_staff).post(
        reverse("reports:report_request", args=[plan.convention.pk]),
        {"period_start": "2019-01-01", "period_end": "2019-06-30"},
    )
    assert response.status_code == 400
    page = unescape(response.content.decode())
    assert "La période doit être comprise dans celle de la convention, du " in page
    # The dates typed come back in the date pickers (ISO), not emptied by a French format.
    assert 'value="2019-01-01"' in page and 'value="2019-06-30"' in page
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_only_caf_staff_generate_reports(plan, login, role):
    response = login(getattr(plan, role)).post(
        reverse("reports:report_request", args=[plan.convention.pk]),
        {"period_start": "2023-01-01", "period_end": "2023-06-30"},
    )
    assert response.status_code == 403
    assert not ProgressReport.objects.exists()


def test_amounts_are_frozen_as_numbers(plan):
    report = build(plan.convention)
    assert report.snapshot["funding"] == [{"funder": "Caf", "planned": 20000.0, "spent": 5000.0}]
    assert isinstance(report.snapshot["summary"]["planned_total"], float)
    assert Decimal(str(report.snapshot["summary"]["spent_total"])) == Decimal("5000")


def test_a_meeting_pack_reminds_the_leads_whose_measurements_are_due(
    plan, django_capture_on_commit_callbacks, mailoutbox
):
    crèche = plan.convention.action_sheets.get(number="FA-01")
    crèche.lead_user = plan.coordinator
    crèche.save()
    youth = plan.convention.action_sheets.get(number="FA-02")
    youth.status = ActionSheet.Status.IN_PROGRESS
    youth.lead_user = plan.member_caf  # a lead who also sits on the COPIL
    youth.save()
    crèche.indicators.update(frequency="quarterly")
    youth.indicators.update(frequency="quarterly")
    meeting_at = datetime.datetime(2023, 10, 20, 14, 0, tzinfo=datetime.UTC)
    MeetingFactory(committee=plan.committee, date=meeting_at)
    with django_capture_on_commit_callbacks(execute=True):
        reporting.dispatch_meeting_packs(
            now=datetime.datetime(2023, 10, 15, 8, 0, tzinfo=datetime.UTC)
        )
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_recipient) == ["corinne@ccdr.fr", "marc@caf82.fr", "maud@ccdr.fr"]
    # The coordinator leads FA-01: the Q3 2023 measurement of its indicator is missing.
    reminder = by_recipient["corinne@ccdr.fr"]
    assert reminder.subject.startswith("Mesures à saisir avant la réunion")
    assert "FA-01 — Places de micro-crèche ouvertes" in reminder.body
    assert "1er juillet 2023 au 30 septembre 2023" in reminder.body
    # Each due measurement links to the screen where it is entered.
    entry = settings.SITE_URL.rstrip("/") + reverse(
        "evaluation:indicator",
        kwargs={"pk": plan.convention.pk, "indicator_pk": crèche.indicators.get().pk},
    )
    assert entry in reminder.body
    assert f'href="{entry}"' in reminder.alternatives[0][0]
    assert reminder.attachments == []
    # Marc sits on the COPIL and leads FA-02 (last measured in March): one e-mail for both.
    both = by_recipient["marc@caf82.fr"]
    assert both.attachments and "FA-02 — Jeunes participant au conseil" in both.body
    assert "Rappel" not in by_recipient["maud@ccdr.fr"].body
    # Delivering again sends nothing more.
    pack = ProgressReport.objects.get(kind=ProgressReport.Kind.MEETING_PACK)
    assert reporting.report_deliver(report_id=pack.pk) == 0


def test_a_measurement_in_the_period_silences_the_reminder(plan):
    crèche = plan.convention.action_sheets.get(number="FA-01")
    crèche.lead_user = plan.coordinator
    crèche.save()
    indicator = crèche.indicators.get()
    indicator.frequency = "quarterly"
    indicator.save()
    assert reporting.measurements_due(convention=plan.convention, today=D(2023, 10, 20))
    MeasurementFactory(indicator=indicator, date=D(2023, 9, 30), value=3)
    assert reporting.measurements_due(convention=plan.convention, today=D(2023, 10, 20)) == {}


def test_the_demo_has_one_report_built_once(db, mailoutbox):
    from django.core.management import call_command

    call_command("seed_demo", "--with-report", stdout=io.StringIO())
    call_command("seed_demo", "--with-report", stdout=io.StringIO())
    report = ProgressReport.objects.get()
    assert report.status == ProgressReport.Status.READY
    assert report.convention.name.startswith("CTG de la communauté de communes Quercy")
    assert (report.period_start, report.period_end) == (D(2024, 1, 1), D(2024, 12, 31))
    assert mailoutbox == []  # the demo report is not sent to anybody


def test_the_report_workbook_holds_real_dates_and_times(plan):
    """Changes, opinions and meetings were ISO text (« 2025-03-04T14:30+01:00 »)."""
    sheet = plan.convention.action_sheets.get(number="FA-01")
    change = ActionSheetTransition.objects.create(
        sheet=sheet, from_status="validee", to_status="en_cours", version=1
    )
    moment = timezone.make_aware(datetime.datetime.combine(H1_START, datetime.time(14, 30)))
    ActionSheetTransition.objects.filter(pk=change.pk).update(at=moment)
    report = build(plan.convention)
    with report.xlsx.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    for sheet, column in (("Changements", "E"), ("Avis", "G"), ("Réunions", "B")):
        cells = [c for c in workbook[sheet][column][1:] if c.value is not None]
        for cell in cells:
            assert isinstance(cell.value, datetime.datetime), (sheet, cell.value)
            assert cell.number_format == "DD/MM/YYYY HH:MM"
    assert workbook["Changements"]["E2"].value == datetime.datetime.combine(
        H1_START, datetime.time(14, 30)
    )
