"""Dates are bounded to 1990–2100 everywhere (issue #19).

A convention from 0001-01-01 to 9999-12-31, a meeting on 9999-12-31, an observation on
0001-01-01 were accepted; then the measurement workbook answered 500 (« year 10000 is
out of range ») and a report for that period failed. Every entry point now refuses a
date outside the window with the one French message of ``ctg.dates``, saves nothing,
and never answers 500; 31 December 2100 is still accepted where it makes sense.
"""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from actions.factories import ActionSheetFactory
from actions.models import ActionSheet
from conventions.models import Convention, Meeting, Signatory
from ctg import dates
from diagnostics import imports as statistic_imports
from diagnostics.factories import thematic
from diagnostics.models import Diagnostic, TerritoryStatistic
from evaluation import imports as measurement_imports
from evaluation import services as evaluation_services
from evaluation.factories import IndicatorFactory
from evaluation.models import Indicator, Measurement, Observation
from reports.models import ProgressReport
from tests.form_data import initial_data

MESSAGE = "Saisissez une date entre 1990 et 2100"
FAR = ["0001-01-01", "9999-12-31"]
LAST = "2100-12-31"


def page(response) -> str:
    assert response.status_code != 500
    return response.content.decode()


def refused(response) -> str:
    """A form given back (200, or 400 for the report request) with the French message."""
    assert response.status_code in (200, 400), response.status_code
    html = page(response)
    assert MESSAGE in html, "the French message is missing"
    return html


# --- the rule ---------------------------------------------------------------------------


def test_the_window_and_its_message_have_one_home():
    assert dates.MIN_DATE == datetime.date(1990, 1, 1)
    assert dates.MAX_DATE == datetime.date(2100, 12, 31)
    for day in (datetime.date(1, 1, 1), datetime.date(1989, 12, 31), datetime.date(9999, 12, 31)):
        with pytest.raises(ValidationError) as error:
            dates.validate_plausible_date(day)
        assert error.value.messages == [
            "Saisissez une date entre 1990 et 2100 (du 1er janvier 1990 au 31 décembre 2100)."
        ]
    for day in (dates.MIN_DATE, dates.MAX_DATE, datetime.datetime(2100, 12, 31, 23, 59)):
        dates.validate_plausible_date(day)


def test_date_arithmetic_refuses_in_french_instead_of_overflowing():
    with pytest.raises(ValidationError, match=MESSAGE):
        dates.add_years(datetime.date(9999, 12, 31), 1)
    assert dates.add_years(dates.MAX_DATE, 4) == datetime.date(2104, 12, 31)


def test_adding_days_beyond_the_calendar_is_refused_in_french():
    assert dates.add_days(dates.MAX_DATE, 1) == datetime.date(2101, 1, 1)
    with pytest.raises(ValidationError, match=MESSAGE):
        dates.add_days(datetime.date(9999, 12, 31), 1)


def test_a_service_refuses_through_full_clean(world):
    indicator = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))
    for day in (datetime.date(1, 1, 1), datetime.date(9999, 12, 31)):
        with pytest.raises(ValidationError) as error:
            Measurement(indicator=indicator, date=day, value=1).full_clean()
        assert MESSAGE in str(error.value.message_dict["date"])
    marker = evaluation_services.add_marker(
        change=evaluation_services.create_change(convention=world.convention, title="Accès"),
        level="attendu",
        text="Les familles viennent",
    )
    with pytest.raises(ValidationError, match=MESSAGE):
        evaluation_services.add_observation(
            marker=marker, date=datetime.date(1, 1, 1), degree="oui", text="Vu"
        )
    assert not Observation.objects.exists() and not Measurement.objects.exists()


# --- conventions ------------------------------------------------------------------------


def convention_data(**overrides):
    data = {
        "name": "CTG du Quercy",
        "start_date": "2022-01-01",
        "end_date": "2025-12-31",
        "purpose": "Projet social de territoire",
        "vision": "",
        "horizon_year": "",
        "thematics": [thematic("petite-enfance").pk],
        "territories": [],
        "previous": "",
        "reporting_frequency": "yearly",
        "meeting_pack_days": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("field, value", [("start_date", FAR[0]), ("end_date", FAR[1])])
def test_a_convention_cannot_be_created_out_of_the_window(world, login, field, value):
    before = Convention.objects.count()
    refused(
        login(world.caf_staff).post(
            reverse("conventions:create"), convention_data(**{field: value})
        )
    )
    assert Convention.objects.count() == before


def test_a_convention_may_end_on_31_december_2100(world, login):
    response = login(world.caf_staff).post(
        reverse("conventions:create"), convention_data(start_date="2097-01-01", end_date=LAST)
    )
    assert response.status_code == 302
    assert Convention.objects.get(name="CTG du Quercy").end_date == dates.MAX_DATE


@pytest.mark.parametrize("value", FAR)
def test_a_convention_cannot_be_moved_out_of_the_window(world, login, value):
    client = login(world.caf_staff)
    url = reverse("conventions:edit", args=[world.convention.pk])
    data = initial_data(client.get(url))
    data["end_date" if value > "2000" else "start_date"] = value
    refused(client.post(url, data))
    world.convention.refresh_from_db()
    assert (world.convention.start_date, world.convention.end_date) == (
        datetime.date(2022, 1, 1),
        datetime.date(2025, 12, 31),
    )


@pytest.mark.parametrize("value", FAR)
def test_a_signatory_resolution_and_a_signature_stay_in_the_window(world, login, value):
    client = login(world.caf_staff)
    signatory = world.convention.signatories.order_by("pk").first()
    url = reverse("conventions:signatory_edit", args=[world.convention.pk, signatory.pk])
    data = initial_data(client.get(url))
    data["resolution_date"] = value
    refused(client.post(url, data))
    assert Signatory.objects.get(pk=signatory.pk).resolution_date is None

    Convention.objects.filter(pk=world.convention.pk).update(phase=Convention.Phase.SIGNATURE)
    response = client.post(
        reverse("conventions:sign", args=[world.convention.pk]),
        {"signed_on": value, "reason": ""},
    )
    assert response.status_code == 200
    # The page shows the form once nothing blocks the signature; the form refuses anyway.
    assert MESSAGE in str(response.context["form"].errors["signed_on"])
    assert Convention.objects.get(pk=world.convention.pk).signed_on is None


@pytest.mark.parametrize("value", [f"{day}T10:00" for day in FAR])
def test_a_meeting_cannot_be_dated_out_of_the_window(world, login, value):
    url = reverse("conventions:meeting_create", args=[world.convention.pk, world.committee.pk])
    refused(login(world.caf_staff).post(url, {"date": value, "agenda": "Bilan"}))
    assert not Meeting.objects.exists()


def test_a_meeting_may_be_on_31_december_2100(world, login):
    url = reverse("conventions:meeting_create", args=[world.convention.pk, world.committee.pk])
    response = login(world.caf_staff).post(url, {"date": f"{LAST}T10:00", "agenda": "Bilan"})
    assert response.status_code == 302
    assert Meeting.objects.get().date.year == 2100


# --- diagnostic, fiches, indicators ---------------------------------------------------------


@pytest.mark.parametrize("value", FAR)
def test_the_diagnostic_dates_stay_in_the_window(world, login, value):
    client = login(world.caf_staff)
    url = reverse("diagnostics:edit", args=[world.convention.pk])
    data = initial_data(client.get(url))
    data["start_date"] = value
    refused(client.post(url, data))
    assert not Diagnostic.objects.filter(start_date__isnull=False).exists()


def sheet_data(world, **overrides):
    data = {
        "number": "",
        "title": "Accueil de loisirs du mercredi",
        "thematic": thematic("enfance").pk,
        "context": "",
        "goals": "",
        "description": "",
        "target_public": "",
        "lead": "CC des Deux Rives",
        "partners": "",
        "communes": [],
        "start_date": "2023-09-01",
        "end_date": "2025-06-30",
        "expected_results": "",
        "financement-TOTAL_FORMS": "0",
        "financement-INITIAL_FORMS": "0",
        "indicateurs-TOTAL_FORMS": "1",
        "indicateurs-INITIAL_FORMS": "0",
        "indicateurs-0-name": "Places ouvertes",
        "indicateurs-0-kind": "realisation",
        "indicateurs-0-unit": "places",
        "indicateurs-0-baseline_value": "0",
        "indicateurs-0-baseline_date": "2023-01-01",
        "indicateurs-0-target_value": "24",
        "indicateurs-0-target_date": "2025-06-30",
        "indicateurs-0-direction": "hausse",
        "indicateurs-0-source": "",
        "indicateurs-0-frequency": "yearly",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "field", ["start_date", "end_date", "indicateurs-0-baseline_date", "indicateurs-0-target_date"]
)
@pytest.mark.parametrize("value", FAR)
def test_a_fiche_and_its_indicators_stay_in_the_window(world, login, field, value):
    response = login(world.coordinator).post(
        reverse("actions:sheet_create", args=[world.convention.pk]),
        sheet_data(world, **{field: value}),
    )
    refused(response)
    assert not ActionSheet.objects.exists() and not Indicator.objects.exists()


# --- measurements, observations ---------------------------------------------------------------


@pytest.fixture
def indicator(world):
    return IndicatorFactory(
        action_sheet=ActionSheetFactory(convention=world.convention, number="FA-01"),
        name="Places",
        baseline_date=datetime.date(2022, 1, 1),
        target_date=datetime.date(2025, 12, 31),
    )


@pytest.mark.parametrize("value", FAR)
def test_a_measurement_cannot_be_dated_out_of_the_window(world, login, indicator, value):
    url = reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])
    refused(login(world.coordinator).post(url, {"date": value, "value": "12", "comment": ""}))
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("value", FAR)
def test_an_observation_cannot_be_dated_out_of_the_window(world, login, value):
    change = evaluation_services.create_change(convention=world.convention, title="Accès")
    marker = evaluation_services.add_marker(change=change, level="attendu", text="Familles")
    url = reverse("evaluation:observation_create", args=[world.convention.pk, marker.pk])
    refused(login(world.coordinator).post(url, {"date": value, "degree": "oui", "text": "Observé"}))
    assert not Observation.objects.exists()


# --- reports ------------------------------------------------------------------------------


@pytest.mark.parametrize("start, end", [(FAR[0], "2023-12-31"), ("2022-01-01", FAR[1])])
def test_a_report_cannot_be_requested_for_a_period_out_of_the_window(world, login, start, end):
    response = login(world.caf_staff).post(
        reverse("reports:report_request", args=[world.convention.pk]),
        {"period_start": start, "period_end": end},
    )
    refused(response)
    assert not ProgressReport.objects.exists()


def test_a_report_period_is_checked_by_the_model_too(world):
    report = ProgressReport(
        convention=world.convention,
        period_start=datetime.date(1, 1, 1),
        period_end=datetime.date(9999, 12, 31),
    )
    with pytest.raises(ValidationError) as error:
        report.full_clean()
    assert set(error.value.message_dict) >= {"period_start", "period_end"}


# --- imports ------------------------------------------------------------------------------


def workbook_bytes(header_dates, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = measurement_imports.SHEET_NAME
    ws.append(list(measurement_imports.FIXED_HEADERS) + list(header_dates))
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "header",
    ["0001-01-01", "9999-12-31", "31/12/9999", "01/01/0001", datetime.date(9999, 12, 31)],
    ids=["iso-0001", "iso-9999", "fr-9999", "fr-0001", "date-cell-9999"],
)
def test_the_measurement_workbook_refuses_a_column_dated_out_of_the_window(
    world, login, indicator, header
):
    # Even for a convention whose own (legacy) period would let the date through.
    Convention.objects.filter(pk=world.convention.pk).update(
        start_date=datetime.date(1, 1, 1), end_date=datetime.date(9999, 12, 31)
    )
    data = workbook_bytes([header], [[indicator.pk, "", "Places", "", 0, 10, 5]])
    response = login(world.coordinator).post(
        reverse("evaluation:workbook_upload", args=[world.convention.pk]),
        {"file": SimpleUploadedFile("mesures.xlsx", data)},
    )
    html = refused(response)
    assert "colonne G" in html
    assert not response.context.get("token")
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "year, reason",
    [
        ("9999", "l'année « 9999 » n'est pas comprise entre 1900 et 2100"),
        ("0001", "l'année 1 n'est pas comprise entre 1900 et 2100"),
        (datetime.datetime(9999, 12, 31), "l'année est une date (31/12/9999)"),
    ],
)
def test_the_statistics_import_refuses_a_year_out_of_the_window(world, login, year, reason):
    wb = Workbook()
    wb.active.append(list(statistic_imports.COLUMNS))
    wb.active.append(["82090", "allocataires", year, 1200, "Caf"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = login(world.caf_staff).post(
        reverse("diagnostics:statistics_import", args=[world.convention.pk]),
        {"file": SimpleUploadedFile("stats.xlsx", buffer.getvalue())},
    )
    assert response.status_code == 200
    messages = [error.message for error in response.context["errors"]]
    assert any(m.startswith(f"Feuille « Sheet », ligne 2 : {reason}") for m in messages), messages
    assert not TerritoryStatistic.objects.exists()


# --- a legacy row, query parameters -------------------------------------------------------------


def test_a_legacy_convention_out_of_the_window_no_longer_breaks_its_pages(world, login, indicator):
    """Rows saved before the rule (0001-01-01 → 9999-12-31) are read without a 500: the
    workbook's columns stop at 2100, a report for that period is refused in French."""
    Convention.objects.filter(pk=world.convention.pk).update(
        start_date=datetime.date(1, 1, 1), end_date=datetime.date(9999, 12, 31)
    )
    client = login(world.caf_staff)
    response = client.get(reverse("evaluation:workbook", args=[world.convention.pk]))
    assert response.status_code == 200
    header = [c.value for c in load_workbook(io.BytesIO(response.content))["Mesures"][1]]
    assert header[6] == "31/12/1990" and header[-1] == "31/12/2100"
    assert page(client.get(reverse("reports:reports", args=[world.convention.pk])))
    refused(
        client.post(
            reverse("reports:report_request", args=[world.convention.pk]),
            {"period_start": FAR[0], "period_end": FAR[1]},
        )
    )
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "portal:detail",
        "actions:plan",
        "evaluation:overview",
        "evaluation:changes",
        "reports:reports",
        "conventions:governance",
    ],
)
def test_a_far_date_in_the_query_string_is_ignored(world, login, name):
    """No page reads a date from its query string today; one that would must not 500."""
    query = {"date": FAR[1], "as_of": FAR[0], "du": FAR[0], "au": FAR[1], "annee": "99999"}
    response = login(world.caf_staff).get(reverse(name, args=[world.convention.pk]), query)
    assert response.status_code == 200


def test_renewing_a_legacy_convention_ending_on_9999_12_31_answers_in_french(world, login):
    """A convention saved before the window existed can end on 9999-12-31: renewing it was an
    OverflowError (500) in the renewal's date arithmetic."""
    convention = world.convention
    Convention.objects.filter(pk=convention.pk).update(
        phase=Convention.Phase.IMPLEMENTATION, end_date=datetime.date(9999, 12, 31)
    )
    client = login(world.caf_staff)
    response = client.post(reverse("conventions:renew", args=[convention.pk]), follow=True)
    assert response.status_code == 200
    assert dates.plausible_date_message() in response.content.decode()
    assert not Convention.objects.filter(previous=convention).exists()
