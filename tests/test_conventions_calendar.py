"""The calendar is part of the truth: where a convention stands in time
(conventions.calendar), shown on every screen, and the deadline notices to the Caf."""

import datetime
import io
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from actions.factories import ActionSheetFactory
from conventions import calendar
from conventions.factories import ConventionFactory, UserFactory
from conventions.models import Convention, DeadlineNotice, User
from conventions.services import deadline
from evaluation import progress
from evaluation.factories import IndicatorFactory, MeasurementFactory
from portal.selectors import convention_dashboard
from reports import services as reporting

D = datetime.date
TODAY = D(2026, 11, 28)  # the day of issue 14
ENDED_MESSAGE = "Échue depuis le 31 décembre 2025 — évaluation et renouvellement à engager"


@pytest.fixture
def frozen_today(monkeypatch):
    """Today is 28 November 2026 for every ``timezone.localdate()`` call."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def text(response) -> str:
    return unescape(response.content.decode())


def convention(**kwargs) -> Convention:
    return ConventionFactory(**kwargs)


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2027, 1, 1), D(2030, 12, 31), calendar.NOT_STARTED),
        (D(2024, 1, 1), D(2028, 12, 31), calendar.RUNNING),
        (D(2023, 1, 1), D(2027, 11, 28), calendar.ENDING),  # exactly 12 months ahead
        (D(2023, 1, 1), D(2026, 11, 28), calendar.ENDING),  # its last day
        (D(2021, 1, 1), D(2024, 12, 31), calendar.ENDED),
    ],
)
def test_the_time_status_comes_from_the_dates_and_today(start, end, expected):
    assert calendar.status_code(start=start, end=end, today=TODAY) == expected


def test_an_ended_convention_still_in_mise_en_oeuvre_is_overdue_with_the_words_of_the_issue():
    qrga = Convention(
        start_date=D(2021, 1, 1), end_date=D(2024, 12, 31), phase=Convention.Phase.IMPLEMENTATION
    )
    status = calendar.time_status(qrga, TODAY)
    assert status.overdue
    assert status.message == (
        "Échue depuis le 31 décembre 2024 — évaluation et renouvellement à engager"
    )
    qrga.phase = Convention.Phase.EVALUATION
    assert not calendar.time_status(qrga, TODAY).overdue  # its people have moved on


# --- everywhere it appears --------------------------------------------------------------------


def test_an_ended_convention_shows_echue_on_the_synthese_with_the_way_forward(
    world, login, frozen_today
):
    html = text(login(world.caf_staff).get(reverse("portal:detail", args=[world.convention.pk])))
    assert ENDED_MESSAGE in html
    assert reverse("conventions:lifecycle", args=[world.convention.pk]) in html
    assert reverse("conventions:renew", args=[world.convention.pk]) in html
    assert "de la période écoulée" not in html  # no longer "100 % de la période écoulée"


def test_an_elected_official_reads_echue_on_the_synthese_without_the_editor_buttons(
    world, login, frozen_today
):
    html = text(login(world.elected).get(reverse("portal:detail", args=[world.convention.pk])))
    assert ENDED_MESSAGE in html
    assert reverse("conventions:lifecycle", args=[world.convention.pk]) not in html


def test_an_ended_convention_shows_echue_on_the_convention_list(world, login, frozen_today):
    convention(
        caf=world.caf, name="CTG en cours", start_date=D(2025, 1, 1), end_date=D(2029, 12, 31)
    )
    html = text(login(world.caf_staff).get(reverse("conventions:list")))
    assert html.count("time-badge") == 1  # the ended one only
    assert ENDED_MESSAGE in html


def test_an_ended_convention_comes_first_in_the_portfolio_and_its_renewal_filter(
    world, login, frozen_today
):
    convention(
        caf=world.caf, name="CTG bientôt finie", start_date=D(2023, 1, 1), end_date=D(2027, 2, 28)
    )
    convention(
        caf=world.caf, name="CTG lointaine", start_date=D(2025, 1, 1), end_date=D(2031, 12, 31)
    )
    convention(
        caf=world.caf,
        name="CTG close",
        start_date=D(2019, 1, 1),
        end_date=D(2022, 12, 31),
        phase=Convention.Phase.CLOSED,
    )
    client = login(world.caf_staff)
    url = reverse("evaluation:portfolio")

    def names(**params):
        return [c.name for c in client.get(url, params).context["page"].object_list]

    assert names(tri="-fin")[0] == "CTG des Deux Rives"
    assert names(tri="nom")[0] == "CTG des Deux Rives"
    # "Échéance dans les 12 mois": the ended one (not the closed one) first, then the ending one.
    assert names(renouvellement="1") == ["CTG des Deux Rives", "CTG bientôt finie"]
    assert ENDED_MESSAGE in text(client.get(url))


def test_an_ended_convention_shows_echue_on_the_progress_report_web_and_pdf(
    world, login, frozen_today
):
    report, _ = reporting.report_request(
        convention=world.convention, period_start=D(2025, 1, 1), period_end=D(2025, 6, 30)
    )
    report = reporting.report_build(report_id=report.pk)
    assert report.snapshot["convention"]["time_status"]["overdue"] is True
    page = text(
        login(world.caf_staff).get(
            reverse("reports:report_detail", args=[world.convention.pk, report.pk])
        )
    )
    assert page.count(ENDED_MESSAGE) >= 2  # the header's banner and the report itself
    with report.pdf.open("rb") as handle:
        pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Échue depuis le 31 décembre 2025" in " ".join(pdf.split())


def test_the_report_email_tells_the_caf_the_convention_has_ended(world, frozen_today, mailoutbox):
    from conventions.factories import CommitteeMemberFactory

    committee = world.convention.committees.first()
    CommitteeMemberFactory(committee=committee, user=world.caf_staff, name="Claire")
    report, _ = reporting.report_request(
        convention=world.convention, period_start=D(2025, 1, 1), period_end=D(2025, 6, 30)
    )
    reporting.report_build(report_id=report.pk)
    mailoutbox.clear()
    reporting.report_deliver(report_id=report.pk)
    mail = next(m for m in mailoutbox if m.to == [world.caf_staff.email])
    assert ENDED_MESSAGE in mail.body


# --- before the start date nothing is late ----------------------------------------------------


@pytest.fixture
def not_started(world):
    """A convention starting in 2027 whose indicator, measured already, is far behind."""
    sorbiers = convention(
        caf=world.caf,
        name="CTG pas commencée",
        start_date=D(2027, 1, 1),
        end_date=D(2030, 12, 31),
        phase=Convention.Phase.ACTION_PLAN,
    )
    sheet = ActionSheetFactory(convention=sorbiers)
    indicator = IndicatorFactory(
        action_sheet=sheet,
        baseline_value=25,
        baseline_date=D(2026, 9, 1),
        target_value=15,
        target_date=D(2030, 12, 31),
        direction="baisse",
    )
    MeasurementFactory(indicator=indicator, date=D(2026, 11, 1), value=26)
    return sorbiers


def test_a_not_started_convention_has_no_late_indicator_and_no_expected_share(not_started):
    rows = list(progress.indicators_of(convention=not_started, today=TODAY))
    assert [r.status for r in rows] == [progress.NOT_STARTED]
    assert rows[0].expected_pct is None
    assert not progress.late_indicators(convention=not_started, today=TODAY).exists()
    summary = progress.progress_of_convention(convention=not_started, today=TODAY)
    assert summary["late"] == 0 and summary["avg_expected"] is None
    # From its first day, the same indicator counts again.
    assert progress.indicators_of(convention=not_started, today=D(2027, 6, 1))[0].status == (
        progress.LATE
    )


def test_the_synthese_of_a_not_started_convention_says_so_and_shows_no_late_indicator(
    world, login, not_started, frozen_today
):
    dashboard = convention_dashboard(convention=not_started)
    assert dashboard.summary["late"] == 0 and dashboard.late_indicators == []
    html = text(login(world.caf_staff).get(reverse("portal:detail", args=[not_started.pk])))
    assert "Pas encore commencée : elle débute le 1er janvier 2027" in html
    assert "Aucun indicateur n'est en retard." in html
    assert "−" not in html.split('id="h-tableau-de-bord"')[1].split("Financements")[0]


def test_a_not_started_convention_has_no_late_share_in_the_portfolio(
    world, login, not_started, frozen_today
):
    page = login(world.caf_staff).get(reverse("evaluation:portfolio"), {"tri": "retard"})
    row = next(c for c in page.context["page"].object_list if c.pk == not_started.pk)
    assert row.late_count == 0


# --- the deadline notices ---------------------------------------------------------------------


@pytest.fixture
def ending(world):
    """A convention of the world's Caf ending on 31 March 2027, in mise en œuvre."""
    return convention(
        caf=world.caf, name="CTG finit en mars", start_date=D(2023, 4, 1), end_date=D(2027, 3, 31)
    )


def test_the_deadline_notices_go_once_per_convention_and_threshold(
    world, ending, mailoutbox, settings
):
    settings.SITE_URL = "https://ctg.example"
    UserFactory(email="inactive@caf82.fr", role=User.Role.CAF_STAFF, caf=world.caf, is_active=False)
    # Six months before the end of "CTG finit en mars"; the world's conventions ended in 2025.
    sent = deadline.deadline_notices_send(today=D(2026, 10, 1))
    assert len(sent) == 3
    told = {(n.convention.name, n.threshold) for n in DeadlineNotice.objects.all()}
    assert told == {
        ("CTG finit en mars", "ending_6_months"),
        ("CTG des Deux Rives", "ended"),
        ("CTG de Sorbiers", "ended"),
    }
    ending_mail = next(m for m in mailoutbox if "CTG finit en mars" in m.subject)
    assert ending_mail.to == [world.caf_staff.email]  # the active Caf staff of its Caf only
    assert f"https://ctg.example/conventions/{ending.pk}/" in ending_mail.body or (
        "https://ctg.example" + reverse("portal:detail", args=[ending.pk]) in ending_mail.body
    )
    ended_mail = next(m for m in mailoutbox if "CTG des Deux Rives" in m.subject)
    assert "Échue depuis le 31 décembre 2025" in ended_mail.body
    other = next(m for m in mailoutbox if "CTG de Sorbiers" in m.subject)
    assert other.to == [world.other_caf_staff.email]

    # Run again the same day, and the next: nothing new.
    assert deadline.deadline_notices_send(today=D(2026, 10, 1)) == []
    assert deadline.deadline_notices_send(today=D(2026, 10, 2)) == []
    assert len(mailoutbox) == 3
    # Once it has ended: the second threshold, once.
    assert len(deadline.deadline_notices_send(today=D(2027, 4, 1))) == 1
    assert deadline.deadline_notices_send(today=D(2027, 4, 2)) == []
    assert DeadlineNotice.objects.filter(convention=ending).count() == 2


def test_no_deadline_notice_before_six_months_nor_for_settled_conventions(world, ending):
    Convention.objects.filter(pk__in=[world.convention.pk, world.other_convention.pk]).update(
        phase=Convention.Phase.CLOSED
    )
    assert deadline.deadline_notices_send(today=D(2026, 9, 30)) == []  # 6 months + 1 day


def test_a_failed_deadline_mail_is_not_recorded_and_goes_on_the_next_run(
    world, ending, mailoutbox, monkeypatch
):
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    def broken(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("serveur absent")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", broken)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            deadline.deadline_notice_send(convention_id=ending.pk, today=D(2026, 10, 1))
    assert not DeadlineNotice.objects.filter(convention=ending).exists()
    assert deadline.deadline_notice_send(convention_id=ending.pk, today=D(2026, 10, 1))
    assert len(mailoutbox) == 1


def test_the_deadline_job_is_scheduled_daily_beside_the_others():
    from ctg.celery import app

    entry = app.conf.beat_schedule["send-deadline-notices"]
    assert entry["task"] == "conventions.tasks.send_deadline_notices"
