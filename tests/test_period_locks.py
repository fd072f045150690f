"""Locked periods (#17 item 3): a periodic report locks the measurements of its period; a
locked value is refused in the form, on deletion, at creation and in the workbook import,
unless Caf staff unlock it with a reason; the next report lists the changes made since."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from evaluation import imports, locks, services
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Measurement, MeasurementUnlock, PeriodLock
from reports import services as reporting
from reports.models import ProgressReport
from tests.test_evaluation_import import confirm, to_bytes, upload

D = datetime.date
S1_START, S1_END = D(2023, 1, 1), D(2023, 6, 30)
S2_START, S2_END = D(2023, 7, 1), D(2023, 12, 31)


@pytest.fixture
def plan(world):
    sheet = ActionSheetFactory(
        convention=world.convention,
        number="FA-01",
        title="Ouvrir une micro-crèche",
        status=ActionSheet.Status.IN_PROGRESS,
    )
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Places ouvertes",
        baseline_value=0,
        target_value=10,
        baseline_date=D(2022, 1, 1),
        target_date=D(2025, 12, 31),
    )
    reported = MeasurementFactory(indicator=indicator, date=D(2023, 3, 31), value=4)
    later = MeasurementFactory(indicator=indicator, date=D(2023, 9, 30), value=6)
    return world, indicator, reported, later


def build(convention, start=S1_START, end=S1_END, **kwargs):
    report, _ = reporting.report_request(
        convention=convention, period_start=start, period_end=end, **kwargs
    )
    return reporting.report_build(report_id=report.pk)


def pdf_text(report) -> str:
    with report.pdf.open("rb") as handle:
        data = handle.read()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def edit_url(world, measurement, action="measurement_edit"):
    return reverse(f"evaluation:{action}", args=[world.convention.pk, measurement.pk])


def unlock(client, world, measurement, reason="Erreur de saisie signalée par la crèche"):
    return client.post(edit_url(world, measurement, "measurement_unlock"), {"reason": reason})


# ------------------------------------------------------------------ the lock


def test_it_locks_the_period_of_a_periodic_report_once(plan):
    world, indicator, reported, later = plan
    report = build(world.convention)
    lock = PeriodLock.objects.get()
    assert (lock.start, lock.end) == (S1_START, S1_END)
    assert lock.label == "Rapport d'avancement du 1er janvier 2023 au 30 juin 2023"
    assert lock.reference == f"rapport:{report.pk}"
    assert locks.measurement_lock_for(reported) == lock
    assert locks.measurement_lock_for(later) is None
    # Building again (a redelivered task) locks nothing more.
    ProgressReport.objects.filter(pk=report.pk).update(status=ProgressReport.Status.PENDING)
    reporting.report_build(report_id=report.pk)
    assert PeriodLock.objects.count() == 1


def test_it_does_not_lock_on_a_meeting_pack(plan):
    world, *_ = plan
    build(world.convention, kind=ProgressReport.Kind.MEETING_PACK)
    assert not PeriodLock.objects.exists()


def test_it_refuses_a_lock_whose_end_precedes_its_start(plan):
    world, *_ = plan
    with pytest.raises(ValidationError, match="ne peut pas précéder"):
        services.period_lock_create(
            convention=world.convention, start=S1_END, end=S1_START, label="x", reference="r:1"
        )


# ------------------------------------------------------------------ the form


def test_it_refuses_editing_a_locked_value_with_a_message_naming_the_report(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    client = login(world.coordinator)
    page = client.get(edit_url(world, reported))
    assert page.status_code == 200
    text = page.content.decode()
    message = "Cette valeur fait partie du rapport « Rapport d&#x27;avancement du 1er janvier 2023 au 30 juin 2023 »"
    assert message in text
    assert "demandez à la Caf de la déverrouiller" in text
    assert 'name="value"' not in text  # no form offered
    response = client.post(edit_url(world, reported), {"value": "5", "comment": ""})
    assert response.status_code == 200
    assert message in response.content.decode()
    reported.refresh_from_db()
    assert reported.value == Decimal("4")


def test_it_refuses_deleting_a_locked_value(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    response = login(world.coordinator).post(edit_url(world, reported, "measurement_delete"))
    assert response.status_code == 200
    assert "demandez à la Caf de la déverrouiller" in response.content.decode()
    assert Measurement.objects.filter(pk=reported.pk).exists()


def test_it_refuses_a_new_value_at_a_locked_date(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    response = login(world.coordinator).post(
        reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk]),
        {"date": "2023-05-31", "value": "5", "comment": ""},
    )
    assert response.status_code == 200
    assert "demandez à la Caf de la déverrouiller" in response.content.decode()
    assert not Measurement.objects.filter(indicator=indicator, date=D(2023, 5, 31)).exists()


def test_a_value_outside_the_locked_period_stays_editable_and_deletable(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    client = login(world.coordinator)
    response = client.post(edit_url(world, later), {"value": "7,5", "comment": "Corrigé"})
    assert response.status_code == 302
    later.refresh_from_db()
    assert (later.value, later.comment, later.entered_by) == (
        Decimal("7.5"),
        "Corrigé",
        world.coordinator,
    )
    assert later.history.first().history_user == world.coordinator
    assert client.post(edit_url(world, later, "measurement_delete")).status_code == 302
    assert not Measurement.objects.filter(pk=later.pk).exists()


# ------------------------------------------------------------------ unlocking


def test_caf_staff_unlock_a_value_with_a_reason_then_it_is_editable(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    response = unlock(login(world.caf_staff), world, reported)
    assert response.status_code == 302
    record = MeasurementUnlock.objects.get()
    assert (record.by, record.value_before, record.measurement) == (
        world.caf_staff,
        Decimal("4"),
        reported,
    )
    assert record.reason == "Erreur de saisie signalée par la crèche"
    assert locks.measurement_lock_for(reported) is None
    client = login(world.coordinator)
    assert client.post(edit_url(world, reported), {"value": "5", "comment": ""}).status_code == 302
    reported.refresh_from_db()
    assert reported.value == Decimal("5")


def test_it_requires_a_reason_to_unlock(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    response = unlock(login(world.caf_staff), world, reported, reason="   ")
    assert response.status_code == 200
    assert "Indiquez le motif du déverrouillage." in response.content.decode()
    assert not MeasurementUnlock.objects.exists()
    assert locks.measurement_lock_for(reported) is not None


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_only_caf_staff_may_unlock(plan, login, role):
    world, indicator, reported, later = plan
    build(world.convention)
    assert unlock(login(getattr(world, role)), world, reported).status_code == 403
    with pytest.raises(ValidationError, match="Seule la Caf"):
        services.measurement_unlock(measurement=reported, by=getattr(world, role), reason="x")
    assert not MeasurementUnlock.objects.exists()


def test_it_refuses_to_unlock_a_value_that_is_not_locked(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    response = unlock(login(world.caf_staff), world, later)
    assert response.status_code == 200
    assert "n'est pas verrouillée" in response.content.decode()
    assert not MeasurementUnlock.objects.exists()


def test_the_unlock_is_kept_when_the_value_is_deleted(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    unlock(login(world.caf_staff), world, reported)
    assert (
        login(world.coordinator).post(edit_url(world, reported, "measurement_delete")).status_code
        == 302
    )
    record = MeasurementUnlock.objects.get()
    assert record.measurement is None
    assert (record.indicator, record.date, record.value_before) == (
        indicator,
        reported.date,
        Decimal("4"),
    )


def test_the_next_report_lists_unlocked_changes_then_locks_again(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    unlock(login(world.caf_staff), world, reported, reason="Chiffre du gestionnaire corrigé")
    services.measurement_update(measurement=reported, value=Decimal("5"), user=world.coordinator)

    second = build(world.convention, S2_START, S2_END)
    text = " ".join(pdf_text(second).split())
    assert "Modifications depuis le rapport précédent" in text
    assert "Places ouvertes" in text
    assert "Chiffre du gestionnaire corrigé" in text
    changes = second.snapshot["unlocked_changes"]
    assert [(c["date"], c["before"], c["after"], c["reason"]) for c in changes] == [
        ("2023-03-31", 4.0, 5.0, "Chiffre du gestionnaire corrigé")
    ]
    assert changes[0]["unlocked_by"] == str(world.caf_staff)
    assert changes[0]["changed_by"] == str(world.coordinator)
    # The second report presented the change: the value is locked again.
    reported.refresh_from_db()
    assert locks.measurement_lock_for(reported) is not None
    # …and the report after it has nothing to list.
    third = build(world.convention, D(2024, 1, 1), D(2024, 6, 30))
    assert third.snapshot["unlocked_changes"] == []
    assert "Aucune valeur d'un rapport précédent n'a été modifiée." in pdf_text(third)


def test_an_unlocked_value_left_unchanged_is_not_listed(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    unlock(login(world.caf_staff), world, reported)
    second = build(world.convention, S2_START, S2_END)
    assert second.snapshot["unlocked_changes"] == []


# ------------------------------------------------------------------ the workbook import


def filled_workbook(client, world, values: dict) -> bytes:
    response = client.get(reverse("evaluation:workbook", args=[world.convention.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["Mesures"]
    header = [c.value for c in ws[1]]
    for title, value in values.items():
        ws.cell(row=2, column=header.index(title) + 1, value=value)
    return to_bytes(wb)


def test_the_import_preview_lists_locked_cells_as_refused_and_imports_the_rest(plan, login):
    world, indicator, reported, later = plan
    build(world.convention, D(2023, 1, 1), D(2023, 12, 31))  # locks both values
    indicator.frequency = "quarterly"
    indicator.save()
    client = login(world.coordinator)
    data = filled_workbook(client, world, {"31/12/2023": 9, "31/03/2024": 7})
    preview = upload(client, world, data)
    assert preview.status_code == 200
    refused = preview.context["preview"].refused
    assert [(line.date, line.new) for line in refused] == [(D(2023, 12, 31), Decimal("9"))]
    text = preview.content.decode()
    assert "Valeurs refusées (1)" in text
    assert "demandez à la Caf de la déverrouiller" in text
    assert [line.date for line in preview.context["preview"].new] == [D(2024, 3, 31)]
    # Unchanged locked values (the 31/03/2023 and 30/09/2023 ones) are not refused.
    assert {line.date for line in preview.context["preview"].unchanged} == {
        D(2023, 3, 31),
        D(2023, 9, 30),
    }
    assert confirm(client, world, preview).status_code == 302
    assert not Measurement.objects.filter(indicator=indicator, date=D(2023, 12, 31)).exists()
    assert Measurement.objects.get(indicator=indicator, date=D(2024, 3, 31)).value == 7


def test_the_import_refuses_values_locked_since_the_preview_and_writes_nothing(plan):
    world, indicator, reported, later = plan
    values = [
        imports.CellValue(indicator.pk, D(2023, 3, 31), Decimal("8"), 2, "H"),
        imports.CellValue(indicator.pk, D(2024, 3, 31), Decimal("7"), 2, "I"),
    ]
    build(world.convention)
    with pytest.raises(ValidationError) as caught:
        services.import_measurements(convention=world.convention, values=values)
    assert "Cellule H2 : Cette valeur fait partie du rapport" in caught.value.messages[0]
    reported.refresh_from_db()
    assert reported.value == 4
    assert not Measurement.objects.filter(date=D(2024, 3, 31)).exists()


# ------------------------------------------------------------------ the indicator page


def indicator_page(client, world, indicator):
    return client.get(reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk]))


def test_the_indicator_page_shows_the_lock_and_offers_unlock_to_caf_staff_only(plan, login):
    world, indicator, reported, later = plan
    build(world.convention)
    unlock_url = edit_url(world, reported, "measurement_unlock")
    as_caf = indicator_page(login(world.caf_staff), world, indicator).content.decode()
    assert "Verrouillée" in as_caf
    assert unlock_url in as_caf
    assert edit_url(world, reported) not in as_caf
    assert edit_url(world, later) in as_caf
    as_coordinator = indicator_page(login(world.coordinator), world, indicator).content.decode()
    assert "Verrouillée" in as_coordinator
    assert "Rapport d&#x27;avancement du 1er janvier 2023 au 30 juin 2023" in as_coordinator
    assert unlock_url not in as_coordinator
    assert edit_url(world, reported) not in as_coordinator
    assert edit_url(world, later) in as_coordinator
    as_elected = indicator_page(login(world.elected), world, indicator).content.decode()
    assert edit_url(world, later) not in as_elected


def test_the_indicator_page_query_count_does_not_grow_with_locked_values(
    plan, login, django_assert_max_num_queries
):
    world, indicator, reported, later = plan
    client = login(world.caf_staff)
    build(world.convention)
    unlock(client, world, reported)
    indicator_page(client, world, indicator)
    with CaptureQueriesContext(connection) as few:
        indicator_page(client, world, indicator)
    baseline = len(few.captured_queries)  # read now: the query log is a bounded deque
    assert 0 < baseline <= 30
    for month in range(1, 13):
        for day in (5, 15, 25):
            MeasurementFactory(indicator=indicator, date=D(2022, month, day), value=month)
    for year in (2020, 2021):
        services.period_lock_create(
            convention=world.convention,
            start=D(2022, 1, 1),
            end=D(2022, 12, 31),
            label=f"Essai {year}",
            reference=f"essai:{year}",
        )
    indicator_page(client, world, indicator)  # the figures of the new data computed once
    with django_assert_max_num_queries(baseline):
        response = indicator_page(client, world, indicator)
    assert response.content.decode().count("Verrouillée") >= 36


def test_a_measurement_of_another_convention_is_404(plan, login):
    world, indicator, reported, later = plan
    theirs = MeasurementFactory(
        indicator=IndicatorFactory(
            action_sheet=ActionSheetFactory(convention=world.other_convention)
        )
    )
    client = login(world.caf_staff)
    for action in ("measurement_edit", "measurement_delete", "measurement_unlock"):
        url = reverse(f"evaluation:{action}", args=[world.convention.pk, theirs.pk])
        assert client.get(url).status_code == 404


def test_a_value_deleted_meanwhile_is_refused_clearly_not_a_server_error(plan, login):
    world, indicator, reported, later = plan
    services.measurement_delete(measurement=later, user=world.coordinator)
    with pytest.raises(ValidationError, match="supprimée entre-temps"):
        services.measurement_update(measurement=later, value=Decimal("1"), user=world.coordinator)
    with pytest.raises(ValidationError, match="supprimée entre-temps"):
        services.measurement_delete(measurement=later, user=world.coordinator)
