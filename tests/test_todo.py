"""« À faire »: the home page of each role, its items, their links, the menu's count."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet, Approval
from conventions.factories import (
    CommitteeFactory,
    CommitteeMemberFactory,
    ConventionFactory,
    MeetingFactory,
    SignatoryFactory,
)
from conventions.models import Convention, Side, Thematic
from evaluation.factories import IndicatorFactory, MeasurementFactory
from portal import todo
from reports.models import ProgressReport
from reports.snapshot import build_snapshot
from tests.conftest import PASSWORD

D = datetime.date
TODAY = D(2026, 11, 28)
NOW = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC)
HOME = reverse("home")
Status = ActionSheet.Status


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """Today is 28 November 2026, 10:00 in Paris, for every ``timezone`` call."""
    clock = {"now": NOW}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, *a, **k: localdate(value) if value else TODAY
    )
    return clock


def items(user, kind=None):
    found = todo.todo_for(user=user).items
    return [i for i in found if kind is None or i.kind == kind]


def kinds(user, convention=None):
    return {i.kind for i in items(user) if convention is None or i.convention.pk == convention.pk}


def page_text(response) -> str:
    return unescape(response.content.decode())


def menu_count(response) -> int | None:
    """The badge of the menu's « À faire » entry."""
    html = response.content.decode()
    entry = re.search(r'href="/"[^>]*>.*?À faire(.*?)</a>', html, re.S)
    assert entry, "no « À faire » entry in the menu"
    badge = re.search(r'<span aria-hidden="true">(\d+)</span>', entry.group(1))
    return int(badge.group(1)) if badge else None


def ready_report(**kwargs) -> ProgressReport:
    """A report as its build leaves it: its frozen figures, ready."""
    report = ProgressReport.objects.create(**kwargs)
    report.snapshot = build_snapshot(report)
    report.status = ProgressReport.Status.READY
    report.generated_at = NOW
    report.save()
    return report


def clickable(client, item) -> None:
    """The item's link opens the screen where the thing is done."""
    assert client.get(item.url.split("#")[0]).status_code == 200, item.url


# --- Caf staff -----------------------------------------------------------------------------


def test_caf_staff_is_told_of_an_ended_convention_until_its_phase_moves_on(world, login):
    # world.convention ended on 31 December 2025, still « mise en œuvre ».
    [item] = [i for i in items(world.caf_staff, "convention_ended")]
    assert item.convention == world.convention
    assert item.url == reverse("conventions:lifecycle", args=[world.convention.pk])
    assert "Échue depuis le 31 décembre 2025" in item.detail
    assert item.urgency == todo.URGENT
    clickable(login(world.caf_staff), item)
    Convention.objects.filter(pk=world.convention.pk).update(phase=Convention.Phase.CLOSED)
    assert not items(world.caf_staff, "convention_ended")


def test_caf_staff_is_told_of_a_convention_ending_and_led_to_its_renewal(world, login):
    ending = ConventionFactory(
        caf=world.caf, name="CTG qui s'achève", start_date=D(2023, 1, 1), end_date=D(2027, 3, 31)
    )
    [item] = [i for i in items(world.caf_staff, "convention_ending") if i.convention == ending]
    assert item.url == reverse("conventions:renew", args=[ending.pk])
    assert item.urgency == todo.DUE  # within the 6 months' notice
    clickable(login(world.caf_staff), item)
    ConventionFactory(caf=world.caf, previous=ending, phase=Convention.Phase.PREPARATION)
    [item] = [i for i in items(world.caf_staff, "convention_ending") if i.convention == ending]
    assert item.url == reverse("portal:detail", args=[ending.pk])  # renewal under way
    Convention.objects.filter(pk=ending.pk).update(end_date=D(2029, 12, 31))
    assert "convention_ending" not in kinds(world.caf_staff, ending)
    assert "convention_ending" not in kinds(world.other_caf_staff, ending)


def test_caf_staff_sees_a_phase_move_once_the_guards_allow_it(world, login):
    prepared = ConventionFactory(
        caf=world.caf, phase=Convention.Phase.PREPARATION, end_date=D(2030, 12, 31)
    )
    prepared.thematics.add(Thematic.objects.first())
    assert "phase_move" not in kinds(world.caf_staff, prepared)  # no territory yet
    prepared.territories.add(world.epci)
    [item] = [i for i in items(world.caf_staff, "phase_move") if i.convention == prepared]
    assert item.url == reverse("conventions:lifecycle", args=[prepared.pk])
    assert "Diagnostic" in item.label
    clickable(login(world.caf_staff), item)
    Convention.objects.filter(pk=prepared.pk).update(phase=Convention.Phase.DIAGNOSTIC)
    # The diagnostic's guard: a finding on each thematic before the action plan.
    assert "phase_move" not in kinds(world.caf_staff, prepared)


def test_caf_staff_is_led_to_record_the_signature_once_a_fiche_is_validated(world, login):
    signing = ConventionFactory(
        caf=world.caf, phase=Convention.Phase.SIGNATURE, end_date=D(2030, 12, 31)
    )
    SignatoryFactory(convention=signing, collectivity=world.epci)
    assert "phase_move" not in kinds(world.caf_staff, signing)  # no fiche validated yet
    ActionSheetFactory(convention=signing, status=Status.VALIDATED)
    [item] = [i for i in items(world.caf_staff, "phase_move") if i.convention == signing]
    assert item.url == reverse("conventions:sign", args=[signing.pk])
    clickable(login(world.caf_staff), item)


def test_caf_staff_sees_a_failed_report_and_a_ready_one_for_a_month(world, login, frozen):
    report = ProgressReport.objects.create(
        convention=world.convention,
        period_start=D(2025, 1, 1),
        period_end=D(2025, 12, 31),
        status=ProgressReport.Status.FAILED,
    )
    [item] = items(world.caf_staff, "report_failed")
    assert item.url == reverse("reports:report_detail", args=[world.convention.pk, report.pk])
    assert item.urgency == todo.URGENT
    clickable(login(world.caf_staff), item)
    ProgressReport.objects.filter(pk=report.pk).update(
        status=ProgressReport.Status.READY, generated_at=NOW, snapshot=build_snapshot(report)
    )
    assert not items(world.caf_staff, "report_failed")
    [item] = items(world.caf_staff, "report_ready")
    assert "Période du 1er janvier 2025 au 31 décembre 2025" == item.detail
    frozen["now"] = NOW + datetime.timedelta(days=todo.READY_REPORT_DAYS + 1)
    assert not items(world.caf_staff, "report_ready")


def test_caf_staff_sees_a_committee_without_parity_until_it_is_restored(world, login):
    assert not items(world.caf_staff, "committee_parity")  # one member on each side
    CommitteeMemberFactory(committee=world.committee, side=Side.CAF, name="Chloé Caf")
    [item] = items(world.caf_staff, "committee_parity")
    assert item.url == reverse(
        "conventions:committee_detail", args=[world.convention.pk, world.committee.pk]
    )
    assert item.detail == "Parité non respectée : 2 membres côté Caf, 1 côté territoire"
    clickable(login(world.caf_staff), item)
    CommitteeMemberFactory(committee=world.committee, side=Side.TERRITORY, name="Théo")
    assert not items(world.caf_staff, "committee_parity")


def test_a_superuser_sees_the_caf_list_of_every_caf_paginated(world, login):
    ConventionFactory.create_batch(30, caf=world.other_caf, end_date=D(2026, 6, 30))
    found = items(world.superuser, "convention_ended")
    assert {i.convention.caf for i in found} == {world.caf, world.other_caf}
    assert len(found) <= todo.KIND_LIMIT
    client = login(world.superuser)
    first = client.get(HOME)
    assert first.context["page"].paginator.num_pages > 1
    assert client.get(HOME, {"page": 2}).status_code == 200
    assert client.get(HOME, {"page": "x" * 500}).status_code == 200


# --- coordinator ---------------------------------------------------------------------------


def test_the_coordinator_enters_a_due_measurement_from_its_item(world, login):
    sheet = ActionSheetFactory(convention=world.convention, status=Status.IN_PROGRESS)
    indicator = IndicatorFactory(
        action_sheet=sheet, baseline_date=D(2022, 1, 1), target_date=D(2027, 12, 31)
    )
    [item] = items(world.coordinator, "measurement_due")
    assert item.url == reverse(
        "evaluation:indicator", kwargs={"pk": world.convention.pk, "indicator_pk": indicator.pk}
    )
    # Yearly: on 28 November 2026, the year 2025 is the last period ended.
    assert item.date == D(2025, 12, 31)
    assert "période du 1er janvier 2025 au 31 décembre 2025" in item.detail
    clickable(login(world.coordinator), item)
    MeasurementFactory(indicator=indicator, date=D(2025, 12, 31), value=15)
    assert not items(world.coordinator, "measurement_due")
    assert not items(world.elected, "measurement_due")


def test_the_coordinator_sees_a_fiche_sent_back_until_it_is_resubmitted(world, login):
    sheet = ActionSheetFactory(convention=world.convention, status=Status.TO_REVIEW)
    [item] = items(world.coordinator, "sheet_to_review")
    assert item.url == reverse("actions:sheet", args=[world.convention.pk, sheet.pk])
    clickable(login(world.coordinator), item)
    ActionSheet.objects.filter(pk=sheet.pk).update(status=Status.SUBMITTED)
    assert not items(world.coordinator, "sheet_to_review")


def test_the_coordinator_sees_a_validated_fiche_without_indicator(world, login):
    sheet = ActionSheetFactory(convention=world.convention, status=Status.VALIDATED)
    [item] = items(world.coordinator, "sheet_without_indicator")
    edit = reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk])
    assert item.url == f"{edit}#indicateurs"
    clickable(login(world.coordinator), item)
    IndicatorFactory(action_sheet=sheet)
    assert not items(world.coordinator, "sheet_without_indicator")


def test_the_coordinator_is_told_what_a_draft_lacks_then_that_it_is_ready(world, login):
    sheet = ActionSheetFactory(convention=world.convention, status=Status.DRAFT)
    [item] = items(world.coordinator, "sheet_not_ready")
    edit = reverse("actions:sheet_update", args=[world.convention.pk, sheet.pk])
    assert item.url == f"{edit}#id_description"
    assert "la description de l'action" in item.detail
    assert "un indicateur au moins" in item.detail
    clickable(login(world.coordinator), item)
    ActionSheet.objects.filter(pk=sheet.pk).update(
        description="Un relais itinérant", target_public="Familles", no_funding=True
    )
    IndicatorFactory(action_sheet=sheet)
    assert not items(world.coordinator, "sheet_not_ready")
    [ready] = items(world.coordinator, "sheet_ready")
    assert ready.url == reverse("actions:sheet", args=[world.convention.pk, sheet.pk])


# --- committee member ----------------------------------------------------------------------


def test_a_member_sees_a_fiche_awaiting_their_opinion_until_they_give_it(world, login):
    sheet = ActionSheetFactory(
        convention=world.convention, status=Status.SUBMITTED, submitted_by=world.coordinator
    )
    [item] = items(world.member_caf, "opinion_awaited")
    assert item.url == reverse("actions:sheet", args=[world.convention.pk, sheet.pk])
    clickable(login(world.member_caf), item)
    Approval.objects.create(
        sheet=sheet,
        member=world.caf_seat,
        version=sheet.version,
        decision=Approval.Decision.FAVORABLE,
    )
    assert not items(world.member_caf, "opinion_awaited")
    assert items(world.member_territory, "opinion_awaited")  # the other side still awaited


def test_a_member_sees_the_next_meeting_and_its_pack(world, login, frozen):
    MeetingFactory(committee=world.committee, date=NOW - datetime.timedelta(days=30))
    meeting = MeetingFactory(
        committee=world.committee, date=NOW + datetime.timedelta(days=5), location="Mairie"
    )
    MeetingFactory(committee=world.committee, date=NOW + datetime.timedelta(days=90))
    [item] = items(world.member_territory, "next_meeting")
    assert item.url == reverse(
        "conventions:meeting_detail", args=[world.convention.pk, world.committee.pk, meeting.pk]
    )
    assert item.urgency == todo.DUE
    assert "Mairie" in item.detail
    assert not items(world.member_territory, "meeting_pack")
    clickable(login(world.member_territory), item)
    ready_report(
        convention=world.convention,
        kind=ProgressReport.Kind.MEETING_PACK,
        meeting=meeting,
        period_start=D(2026, 1, 1),
        period_end=D(2026, 11, 30),
    )
    [pack_item] = items(world.member_territory, "meeting_pack")
    assert pack_item.url == reverse(
        "meetings:pack_pdf", args=[world.convention.pk, world.committee.pk, meeting.pk]
    )
    clickable(login(world.member_territory), pack_item)
    frozen["now"] = NOW + datetime.timedelta(days=6)  # the meeting took place
    [item] = items(world.member_territory, "next_meeting")
    assert item.date == (NOW + datetime.timedelta(days=90)).date()
    assert item.urgency == todo.INFO
    assert not items(world.caf_staff, "next_meeting")  # no seat


# --- élu -----------------------------------------------------------------------------------


def test_an_elected_official_finds_the_synthese_and_the_last_report(world, login):
    [synthese] = items(world.elected, "synthese")
    assert synthese.url == reverse("portal:detail", args=[world.convention.pk])
    assert not items(world.elected, "last_report")
    for year in (2024, 2025):
        last = ready_report(
            convention=world.convention, period_start=D(year, 1, 1), period_end=D(year, 12, 31)
        )
    assert [i.kind for i in items(world.elected)] == ["synthese", "last_report"]
    [report] = items(world.elected, "last_report")
    assert report.url == reverse("reports:report_detail", args=[world.convention.pk, last.pk])
    client = login(world.elected)
    clickable(client, synthese)
    clickable(client, report)
    assert not items(world.other_elected, "last_report")


# --- several roles, nobody -----------------------------------------------------------------


def test_a_coordinator_who_sits_on_a_committee_gets_both_lists_grouped(world, login):
    CommitteeMemberFactory(
        committee=world.committee, side=Side.TERRITORY, name="Corinne", user=world.coordinator
    )
    ActionSheetFactory(
        convention=world.convention, status=Status.SUBMITTED, submitted_by=world.caf_staff
    )
    ActionSheetFactory(convention=world.convention, status=Status.TO_REVIEW)
    found = todo.todo_for(user=world.coordinator)
    assert found.groups == [todo.COORDINATION, todo.COMMITTEE]
    page = page_text(login(world.coordinator).get(HOME))
    assert page.count("<h1") == 1
    assert page.index("Fiches action et mesures</h2>") < page.index("Comités</h2>")


def test_someone_with_nothing_to_do_is_told_so_with_a_way_to_their_conventions(world, login):
    response = login(world.outsider).get(HOME)
    page = page_text(response)
    assert "Rien à faire pour le moment" in page
    assert f'href="{reverse("conventions:list")}"' in page
    assert menu_count(response) is None


@pytest.mark.parametrize(
    "role", ["caf_staff", "coordinator", "elected", "member_caf", "superuser", "outsider"]
)
def test_every_role_lands_on_the_todo_page_after_logging_in(world, client, role):
    user = getattr(world, role)
    user.set_password(PASSWORD)
    user.save()
    response = client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == HOME
    assert "À faire</h1>" in page_text(response)


# --- the menu's count ----------------------------------------------------------------------


def test_the_menu_counts_the_items_of_the_page(world, login, frozen):
    ActionSheetFactory(convention=world.convention, status=Status.TO_REVIEW)
    ActionSheetFactory(convention=world.convention, status=Status.VALIDATED)
    client = login(world.coordinator)
    response = client.get(HOME)
    shown = response.context["todo"].count
    assert shown == 2  # a fiche sent back, a validated fiche without indicator
    assert menu_count(response) == shown
    # Elsewhere the menu shows the same count, without counting again.
    ActionSheetFactory(convention=world.convention, status=Status.TO_REVIEW)
    assert menu_count(client.get(reverse("conventions:list"))) == shown
    # After a while it counts again.
    frozen["now"] = NOW + datetime.timedelta(seconds=todo.COUNT_MAX_AGE + 1)
    assert menu_count(client.get(reverse("conventions:list"))) == shown + 1
    assert menu_count(client.get(HOME)) == shown + 1


def test_the_menu_reads_its_count_from_the_session_without_a_query(
    world, rf, django_assert_num_queries
):
    request = rf.get(reverse("conventions:list"))
    request.user = world.caf_staff
    request.session = {}
    with django_assert_num_queries(0):
        assert todo.todo_count(request) is None  # before the list was seen: no badge
        todo.remember_count(request.session, 4)
        assert todo.todo_count(request) == 4


# --- constant query counts -----------------------------------------------------------------


def _populate(world, size: int) -> None:
    """``size`` of everything each role's list reads."""
    for n in range(size):
        convention = ConventionFactory(
            caf=world.caf,
            name=f"CTG {n}",
            phase=Convention.Phase.PREPARATION if n % 2 else Convention.Phase.SIGNATURE,
            end_date=D(2026, 6, 30) if n % 3 else D(2027, 3, 31),
        )
        convention.thematics.add(Thematic.objects.first())
        convention.territories.add(world.epci)
        SignatoryFactory(convention=convention, collectivity=world.epci)
        SignatoryFactory(convention=convention, collectivity=world.commune)
        ProgressReport.objects.create(
            convention=convention,
            period_start=D(2025, 1, 1),
            period_end=D(2025, 12, 31),
            status=ProgressReport.Status.FAILED if n % 2 else ProgressReport.Status.READY,
            generated_at=NOW,
        )
        committee = CommitteeFactory(convention=convention, name=f"COPIL {n}")
        CommitteeMemberFactory(committee=committee, side=Side.CAF, user=world.member_caf)
        MeetingFactory(committee=committee, date=NOW + datetime.timedelta(days=n + 1))
        for status in (Status.IN_PROGRESS, Status.TO_REVIEW, Status.VALIDATED, Status.DRAFT):
            sheet = ActionSheetFactory(convention=convention, status=status)
            IndicatorFactory(action_sheet=sheet, target_date=D(2027, 12, 31))
        ActionSheetFactory(
            convention=world.convention, status=Status.SUBMITTED, submitted_by=world.coordinator
        )


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("role", ["caf_staff", "coordinator", "member_caf", "elected", "superuser"])
def test_the_todo_page_runs_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries, role, size
):
    _populate(world, size)
    client = login(getattr(world, role))
    # 21: the measurements à valider (Caf) and the values sent back to their author, one
    # query each (evaluation.validation).
    with django_assert_max_num_queries(21):
        response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["todo"].count > 0


def test_the_query_count_does_not_grow_with_the_data(world, login):
    counts = []
    for size in (todo.PHASE_MOVE_LIMIT, 2 * todo.PHASE_MOVE_LIMIT):
        _populate(world, size)
        for user in (world.caf_staff, world.coordinator, world.member_caf, world.elected):
            client = login(user)
            with CaptureQueriesContext(connection) as queries:
                client.get(HOME)
            counts.append((user.email, size, len(queries.captured_queries)))
    half = len(counts) // 2
    assert [c[2] for c in counts[:half]] == [c[2] for c in counts[half:]], counts
