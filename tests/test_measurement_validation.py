"""Validation of measurements by the Caf (issue #17, item 2): a value typed by the territory
waits « à valider », counts nowhere until the Caf validates it, or goes back to its author
with a comment (e-mail through Celery on commit, « À faire »); every step in history."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from html import unescape

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from actions.factories import ActionSheetFactory, ObjectiveFactory
from conventions.models import Convention
from ctg import formatting
from evaluation import progress, services, validation
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Measurement
from portal.todo import todo_for
from reports import services as reporting
from reports.models import ProgressReport
from tests.test_conventions_editor import form_data
from tests.test_evaluation_import import confirm, download, to_bytes, upload

State = Measurement.State
DAY = datetime.date(2023, 12, 31)


@pytest.fixture
def sheet(world):
    return ActionSheetFactory(convention=world.convention, number="FA-03", title="Micro-crèche")


@pytest.fixture
def indicator(sheet):
    # 10 → 20: a value of 15 is 50 % of the way.
    return IndicatorFactory(action_sheet=sheet, name="Places en crèche", unit="places")


def indicator_url(world, indicator):
    return reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])


def synthese(client, world) -> str:
    response = client.get(reverse("portal:detail", args=[world.convention.pk]))
    assert response.status_code == 200
    return response.content.decode()


def type_value(client, world, indicator, value="15", day="2023-12-31", comment=""):
    response = client.post(
        indicator_url(world, indicator), {"date": day, "value": value, "comment": comment}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Measurement.objects.get(indicator=indicator, date=datetime.date.fromisoformat(day))


def last_value(world, indicator):
    return progress.indicator_of(convention=world.convention, pk=indicator.pk).last_value


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the Celery task, eager in tests) when the block ends."""

    def _send():
        return django_capture_on_commit_callbacks(execute=True)

    return _send


# --------------------------------------------------------------------- counted or not


def test_a_value_typed_by_the_coordinator_counts_only_once_the_caf_validates_it(
    world, login, indicator
):
    fifty = formatting.percent(50.0)
    client = login(world.coordinator)
    measurement = type_value(client, world, indicator)
    assert measurement.validation_state == State.PENDING
    assert measurement.validated_by is None

    # Absent from the figures: the Synthèse, the rule's last value; said to be waiting.
    page = synthese(client, world)
    assert fifty not in page
    assert "1 valeur en attente de validation" in page
    assert last_value(world, indicator) is None
    # The indicator page shows the value with its state, without the Caf's buttons.
    html = client.get(indicator_url(world, indicator)).content.decode()
    assert "À valider" in html and "Valider<span" not in html

    caf = login(world.caf_staff)
    html = caf.get(indicator_url(world, indicator)).content.decode()
    assert reverse("evaluation:measurement_validate", args=[world.convention.pk, measurement.pk])
    assert "Valider<span" in html and "Renvoyer<span" in html
    response = caf.post(
        reverse("evaluation:measurement_validate", args=[world.convention.pk, measurement.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == indicator_url(world, indicator)

    measurement.refresh_from_db()
    assert measurement.validation_state == State.VALIDATED
    assert measurement.validated_by == world.caf_staff
    assert measurement.validated_at is not None
    page = synthese(caf, world)
    assert fifty in page
    assert "en attente de validation" not in page
    assert last_value(world, indicator) == Decimal("15")
    # Who and when, in the measurement's history.
    last = measurement.history.order_by("-history_date", "-history_id").first()
    assert last.validation_state == State.VALIDATED
    assert last.history_user == world.caf_staff
    assert last.history_change_reason == "Mesure validée"
    first = measurement.history.order_by("history_date", "history_id").first()
    assert (first.validation_state, first.history_user) == (State.PENDING, world.coordinator)


def test_a_value_typed_by_the_caf_counts_at_once(world, login, indicator):
    measurement = type_value(login(world.caf_staff), world, indicator)
    assert measurement.validation_state == State.VALIDATED
    assert measurement.validated_by == world.caf_staff
    assert last_value(world, indicator) == Decimal("15")


@pytest.mark.parametrize(
    ("setting", "role", "state"),
    [
        (Convention.MeasurementValidation.EVERYONE, "caf_staff", State.PENDING),
        (Convention.MeasurementValidation.EVERYONE, "coordinator", State.PENDING),
        (Convention.MeasurementValidation.NOBODY, "coordinator", State.VALIDATED),
        (Convention.MeasurementValidation.TERRITORY, "superuser", State.VALIDATED),
    ],
)
def test_the_convention_setting_says_which_values_wait(
    world, login, indicator, setting, role, state
):
    Convention.objects.filter(pk=world.convention.pk).update(measurements_need_validation=setting)
    measurement = type_value(login(getattr(world, role)), world, indicator)
    assert measurement.validation_state == state


def test_caf_staff_change_the_setting_on_the_convention_edit_screen(world, login):
    client = login(world.caf_staff)
    url = reverse("conventions:edit", args=[world.convention.pk])
    assert 'name="measurements_need_validation"' in client.get(url).content.decode()
    response = client.post(url, form_data(world.convention, measurements_need_validation="nobody"))
    assert response.status_code == 302
    world.convention.refresh_from_db()
    assert world.convention.measurements_need_validation == "nobody"
    # A form posted without the field (an older page) keeps the setting.
    assert client.post(url, form_data(world.convention)).status_code == 302
    world.convention.refresh_from_db()
    assert world.convention.measurements_need_validation == "nobody"
    # An unknown choice: the form again, with a French message.
    response = client.post(url, form_data(world.convention, measurements_need_validation="x"))
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_a_territory_change_to_a_validated_value_waits_again_and_a_caf_change_does_not(
    world, indicator
):
    measurement = MeasurementFactory(indicator=indicator, date=DAY, value=15)
    services.measurement_update(
        measurement=measurement, value=Decimal("16"), user=world.coordinator
    )
    measurement.refresh_from_db()
    assert measurement.validation_state == State.PENDING
    assert last_value(world, indicator) is None  # the old value does not count either
    services.measurement_update(measurement=measurement, value=Decimal("17"), user=world.caf_staff)
    measurement.refresh_from_db()
    assert measurement.validation_state == State.VALIDATED
    assert measurement.validated_by == world.caf_staff
    assert last_value(world, indicator) == Decimal("17")


# ------------------------------------------------------------------ sent back, corrected


def test_a_returned_value_goes_back_to_its_author_with_the_comment(
    world, login, indicator, mailoutbox, send_now
):
    measurement = type_value(login(world.coordinator), world, indicator, value="150")
    caf = login(world.caf_staff)
    url = reverse("evaluation:measurement_return", args=[world.convention.pk, measurement.pk])
    assert caf.get(url).status_code == 200
    with send_now():
        response = caf.post(url, {"return_comment": "150 places : une erreur de saisie ?"})
    assert response.status_code == 302

    measurement.refresh_from_db()
    assert measurement.validation_state == State.RETURNED
    assert measurement.return_comment == "150 places : une erreur de saisie ?"
    assert measurement.validated_by == world.caf_staff
    assert last_value(world, indicator) is None

    # The e-mail, through Celery once committed, with the link to the entry screen.
    (message,) = mailoutbox
    assert message.to == [world.coordinator.email]
    assert "Mesure renvoyée : Places en crèche" in message.subject
    link = settings.SITE_URL.rstrip("/") + indicator_url(world, indicator)
    assert "150 places : une erreur de saisie ?" in message.body
    assert f"{link}#mesure-{measurement.pk}" in message.body
    html, _ = message.alternatives[0]
    assert f'href="{link}#mesure-{measurement.pk}"' in html

    # « À faire » of the author: the comment, a link to the indicator page.
    (item,) = [
        i for i in todo_for(user=world.coordinator).items if i.kind == "measurement_returned"
    ]
    assert item.label == "Mesure renvoyée : 150 places : une erreur de saisie ?"
    assert item.url == f"{indicator_url(world, indicator)}#mesure-{measurement.pk}"
    home = login(world.coordinator).get(reverse("home")).content.decode()
    assert "Mesure renvoyée : 150 places : une erreur de saisie ?" in home
    assert not [i for i in todo_for(user=world.caf_staff).items if i.kind == "measurement_returned"]

    # In history: who sent it back, when, why.
    last = measurement.history.order_by("-history_date", "-history_id").first()
    assert last.validation_state == State.RETURNED
    assert last.history_user == world.caf_staff
    assert last.history_change_reason == "Mesure renvoyée : 150 places : une erreur de saisie ?"

    # The author corrects it (« Modifier »): submitted again, à valider, out of « À faire ».
    page = login(world.coordinator).get(indicator_url(world, indicator)).content.decode()
    assert "150 places : une erreur de saisie ?" in page
    services.measurement_update(
        measurement=measurement, value=Decimal("15"), user=world.coordinator
    )
    measurement.refresh_from_db()
    assert measurement.validation_state == State.PENDING
    assert measurement.return_comment == ""
    assert not [
        i for i in todo_for(user=world.coordinator).items if i.kind == "measurement_returned"
    ]


def test_it_refuses_a_return_without_a_comment_and_says_so_under_the_field(
    world, login, indicator, mailoutbox, send_now
):
    measurement = type_value(login(world.coordinator), world, indicator)
    caf = login(world.caf_staff)
    url = reverse("evaluation:measurement_return", args=[world.convention.pk, measurement.pk])
    with send_now():
        response = caf.post(url, {"return_comment": "   "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Indiquez pourquoi la mesure est renvoyée." in html
    assert 'id="error_1_id_return_comment"' in html or "invalid-feedback" in html
    measurement.refresh_from_db()
    assert measurement.validation_state == State.PENDING
    assert mailoutbox == []
    # An endless comment: a French message, nothing saved.
    response = caf.post(url, {"return_comment": "x" * 20_000})
    assert response.status_code == 200
    assert "Le motif ne doit pas dépasser" in response.content.decode()
    measurement.refresh_from_db()
    assert measurement.validation_state == State.PENDING
    # A NUL character never reaches the database.
    assert caf.post(url, {"return_comment": "Valeur\x00 douteuse"}).status_code in (200, 302)
    measurement.refresh_from_db()
    assert "\x00" not in measurement.return_comment


def test_the_caf_validates_or_returns_from_the_list_and_lands_back_on_it(world, login, indicator):
    measurement = type_value(login(world.coordinator), world, indicator)
    caf = login(world.caf_staff)
    response = caf.post(
        reverse("evaluation:measurement_return", args=[world.convention.pk, measurement.pk]),
        {"return_comment": "À vérifier", "retour": "liste"},
    )
    assert response["Location"] == reverse("evaluation:validation_list", args=[world.convention.pk])


# ----------------------------------------------------------------- who, double clicks


def test_only_the_caf_of_the_convention_validates_or_returns(world, login, indicator):
    measurement = type_value(login(world.coordinator), world, indicator)
    args = [world.convention.pk, measurement.pk]
    for role, status in [("coordinator", 403), ("elected", 403), ("other_caf_staff", 404)]:
        client = login(getattr(world, role))
        assert client.post(reverse("evaluation:measurement_validate", args=args)).status_code == (
            status
        )
        response = client.post(
            reverse("evaluation:measurement_return", args=args), {"return_comment": "Non"}
        )
        assert response.status_code == status
    measurement.refresh_from_db()
    assert measurement.validation_state == State.PENDING
    with pytest.raises(ValidationError, match="Seule la Caf"):
        services.measurement_validate(measurement=measurement, user=world.coordinator)
    # A measurement of another convention is not found through this one.
    other = MeasurementFactory(
        indicator=IndicatorFactory(
            action_sheet=ActionSheetFactory(convention=world.other_convention)
        ),
        validation_state=State.PENDING,
    )
    response = login(world.caf_staff).post(
        reverse("evaluation:measurement_validate", args=[world.convention.pk, other.pk])
    )
    assert response.status_code == 404


def test_validating_twice_changes_nothing_the_second_time(world, login, indicator):
    measurement = type_value(login(world.coordinator), world, indicator)
    caf = login(world.caf_staff)
    url = reverse("evaluation:measurement_validate", args=[world.convention.pk, measurement.pk])
    assert caf.post(url).status_code == 302
    versions = measurement.history.count()
    second = caf.post(url, follow=True)
    assert second.status_code == 200
    assert "n'est plus à valider" in unescape(second.content.decode())
    assert measurement.history.count() == versions
    # Nor can a validated value be sent back afterwards.
    response = caf.post(
        reverse("evaluation:measurement_return", args=[world.convention.pk, measurement.pk]),
        {"return_comment": "Trop tard"},
    )
    assert response.status_code == 200
    assert "n'est plus à valider" in unescape(response.content.decode())
    measurement.refresh_from_db()
    assert measurement.validation_state == State.VALIDATED


# -------------------------------------------------------- the list, all of a fiche, todo


def pending(indicator, *days, **kwargs):
    return [
        MeasurementFactory(indicator=indicator, date=day, validation_state=State.PENDING, **kwargs)
        for day in days
    ]


def test_the_caf_validates_all_the_values_of_a_fiche_at_once(world, login, sheet, indicator):
    other_sheet = ActionSheetFactory(convention=world.convention, number="FA-04")
    second = IndicatorFactory(action_sheet=sheet, name="Familles accueillies")
    elsewhere = IndicatorFactory(action_sheet=other_sheet, name="Jeunes")
    days = [datetime.date(2022, 12, 31), DAY]
    mine = pending(indicator, *days) + pending(second, DAY)
    (kept,) = pending(elsewhere, DAY)
    caf = login(world.caf_staff)
    page = caf.get(reverse("evaluation:validation_list", args=[world.convention.pk]))
    html = page.content.decode()
    assert "Fiche FA-03 — Micro-crèche" in html and "Fiche FA-04" in html
    assert "Tout valider pour cette fiche (3)" in html
    assert 'data-confirm="Valider les 3 valeurs à valider de la fiche FA-03' in html

    response = caf.post(
        reverse("evaluation:sheet_validate", args=[world.convention.pk, sheet.pk]), follow=True
    )
    assert "3 mesures validées pour la fiche FA-03." in response.content.decode()
    for m in mine:
        m.refresh_from_db()
        assert (m.validation_state, m.validated_by) == (State.VALIDATED, world.caf_staff)
        last = m.history.order_by("-history_date", "-history_id").first()
        assert last.history_user == world.caf_staff
        assert last.history_change_reason == "Mesure validée (toute la fiche)"
    kept.refresh_from_db()
    assert kept.validation_state == State.PENDING
    # A fiche of another convention: 404; a coordinator: 403.
    foreign = ActionSheetFactory(convention=world.other_convention)
    url = reverse("evaluation:sheet_validate", args=[world.convention.pk, foreign.pk])
    assert caf.post(url).status_code == 404
    url = reverse("evaluation:sheet_validate", args=[world.convention.pk, other_sheet.pk])
    assert login(world.coordinator).post(url).status_code == 403
    kept.refresh_from_db()
    assert kept.validation_state == State.PENDING


def test_the_list_reads_a_fixed_number_of_queries_and_is_paginated(
    world, login, sheet, django_assert_max_num_queries
):
    objective = ObjectiveFactory(convention=world.convention, title="Mieux accueillir")
    on_objective = IndicatorFactory(action_sheet=None, objective=objective, name="Familles")
    pending(on_objective, DAY)
    for n in range(13):
        indicator = IndicatorFactory(
            action_sheet=ActionSheetFactory(convention=world.convention, number=f"FA-{n + 10}")
        )
        pending(indicator, *[datetime.date(2022 + k, 12, 31) for k in range(4)])
    client = login(world.caf_staff)
    url = reverse("evaluation:validation_list", args=[world.convention.pk])
    client.get(url)  # the session, the menu's count
    with django_assert_max_num_queries(16):
        first = client.get(url)
    html = first.content.decode()
    assert "53 valeurs saisies attendent la validation de la Caf" in html
    assert "Page 1 sur 1" not in html and "Page 1 sur 2" in html
    second = client.get(url, {"page": 2}).content.decode()
    assert "Indicateurs des objectifs" in second
    assert client.get(url, {"page": "abc\x00"}).status_code == 200


def test_an_empty_list_says_every_value_counts(world, login):
    html = (
        login(world.caf_staff)
        .get(reverse("evaluation:validation_list", args=[world.convention.pk]))
        .content.decode()
    )
    assert "Aucune mesure à valider : toutes les valeurs saisies comptent" in html


def test_caf_staff_find_the_values_to_validate_in_their_todo_list(world, login, indicator):
    pending(indicator, datetime.date(2022, 12, 31), DAY)
    (item,) = [
        i for i in todo_for(user=world.caf_staff).items if i.kind == "measurements_to_validate"
    ]
    assert item.label == "2 mesures à valider"
    assert item.url == reverse("evaluation:validation_list", args=[world.convention.pk])
    assert item.convention == world.convention
    assert not [
        i
        for i in todo_for(user=world.other_caf_staff).items
        if i.kind == "measurements_to_validate"
    ]
    assert not [
        i for i in todo_for(user=world.coordinator).items if i.kind == "measurements_to_validate"
    ]


# ------------------------------------------------------------ imports, reports, migration


def test_values_imported_by_the_territory_wait_and_the_preview_says_so(world, login, indicator):
    client = login(world.coordinator)
    wb = download(client, world)
    ws = wb["Mesures"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("31/12/2023") + 1, value=15)
    preview = upload(client, world, to_bytes(wb))
    assert "seront <strong>à valider</strong> par la Caf" in preview.content.decode()
    assert confirm(client, world, preview).status_code == 302
    assert Measurement.objects.get(indicator=indicator).validation_state == State.PENDING
    assert last_value(world, indicator) is None


def test_values_imported_by_the_caf_are_validated_by_the_import(world, login, indicator):
    MeasurementFactory(
        indicator=indicator,
        date=datetime.date(2022, 12, 31),
        value=11,
        validation_state="a_valider",
    )
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb["Mesures"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("31/12/2022") + 1, value=12)
    ws.cell(row=2, column=header.index("31/12/2023") + 1, value=15)
    preview = upload(client, world, to_bytes(wb))
    assert "seront <strong>validées</strong> dès l'import" in preview.content.decode()
    confirm(client, world, preview)
    states = dict(Measurement.objects.values_list("date", "validation_state"))
    assert states == {datetime.date(2022, 12, 31): State.VALIDATED, DAY: State.VALIDATED}
    assert last_value(world, indicator) == Decimal("15")


def test_a_report_leaves_out_the_values_awaiting_validation_and_counts_them(world, indicator):
    MeasurementFactory(indicator=indicator, date=datetime.date(2023, 6, 30), value=12)
    pending(indicator, DAY)
    report = ProgressReport.objects.create(
        convention=world.convention,
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 31),
    )
    report = reporting.report_build(report_id=report.pk)
    snapshot = report.snapshot
    assert [m["date"] for m in snapshot["measurements"]] == ["2023-06-30"]
    assert snapshot["summary"]["measurements_awaiting_validation"] == 1
    (row,) = [r for r in snapshot["indicators"] if r["name"] == "Places en crèche"]
    assert Decimal(str(row["last_value"])) == Decimal("12")


def test_existing_measurements_become_validated_by_the_migration_and_back(world, indicator):
    migration = importlib.import_module("evaluation.migrations.0010_measurement_validation")
    measurement = MeasurementFactory(indicator=indicator, validation_state=State.PENDING)
    migration.existing_validated(apps, None)
    measurement.refresh_from_db()
    assert measurement.validation_state == State.VALIDATED
    assert measurement.validated_at == measurement.entered_at
    migration.existing_unvalidated(apps, None)
    measurement.refresh_from_db()
    assert measurement.validated_at is None


def test_the_api_says_the_state_of_each_measurement(world, indicator):
    from api.serializers import MeasurementSerializer
    from api.views import measurements_queryset

    (measurement,) = pending(indicator, DAY)
    data = MeasurementSerializer(measurements_queryset().get(pk=measurement.pk)).data
    assert data["validation_state"] == "a_valider"
    assert validation.awaiting(convention=world.convention).pending == 1


# ---------------------------------------------------------------- review fixes (test-first)


def test_validating_or_returning_a_value_keeps_when_it_was_typed(world, login, indicator):
    first = type_value(login(world.coordinator), world, indicator, day="2023-12-31")
    second = type_value(login(world.coordinator), world, indicator, day="2023-06-30")
    typed = {m.pk: m.entered_at for m in (first, second)}
    services.measurement_validate(measurement=first, user=world.caf_staff)
    services.measurement_return(measurement=second, comment="Source ?", user=world.caf_staff)
    for measurement in (first, second):
        measurement.refresh_from_db()
        assert measurement.entered_at == typed[measurement.pk]


def test_a_comment_change_keeps_a_validated_value_counted_and_its_author(world, indicator):
    measurement = MeasurementFactory(
        indicator=indicator, date=DAY, value=15, entered_by=world.coordinator
    )
    services.measurement_update(
        measurement=measurement, value=Decimal("15"), comment="Source : CAF", user=world.coordinator
    )
    measurement.refresh_from_db()
    assert measurement.validation_state == State.VALIDATED
    assert measurement.comment == "Source : CAF"
    assert last_value(world, indicator) == Decimal("15")
    # The Caf touching the comment of a pending value neither validates it nor becomes its author.
    waiting = MeasurementFactory(
        indicator=indicator, date=datetime.date(2023, 6, 30), value=12,
        validation_state=State.PENDING, entered_by=world.coordinator,
    )  # fmt: skip
    services.measurement_update(
        measurement=waiting, value=Decimal("12"), comment="Vu", user=world.caf_staff
    )
    waiting.refresh_from_db()
    assert waiting.validation_state == State.PENDING
    assert waiting.entered_by == world.coordinator


@pytest.mark.parametrize("action", ["validate", "return"])
def test_reviewing_a_value_deleted_meanwhile_says_so(world, indicator, action):
    measurement = MeasurementFactory(indicator=indicator, date=DAY, value=15,
                                     validation_state=State.PENDING)  # fmt: skip
    Measurement.objects.filter(pk=measurement.pk).delete()
    with pytest.raises(ValidationError, match="supprimée entre-temps"):
        if action == "validate":
            services.measurement_validate(measurement=measurement, user=world.caf_staff)
        else:
            services.measurement_return(measurement=measurement, comment="?", user=world.caf_staff)


def test_the_list_to_validate_says_where_each_value_comes_from(world, login, indicator):
    """« Mesures à valider » names the source as everywhere else (evaluation.sources): a value
    of the measurement workbook says so, not « Saisie par »."""
    from evaluation.models import Measurement, MeasurementImport

    typed = type_value(login(world.coordinator), world, indicator)
    workbook = MeasurementImport.objects.create(
        token="list-source", convention=world.convention, imported_by=world.coordinator
    )
    imported = Measurement.objects.create(
        indicator=indicator,
        date=typed.date.replace(day=30, month=6),
        value=Decimal("9"),
        entered_by=world.coordinator,
        validation_state=State.PENDING,
        source_kind=Measurement.SourceKind.SPREADSHEET,
        spreadsheet_import=workbook,
    )
    html = (
        login(world.caf_staff)
        .get(reverse("evaluation:validation_list", args=[world.convention.pk]))
        .content.decode()
    )
    row = html[html.index(f'id="mesure-{imported.pk}"') :]
    row = row[: row.index("</li>")]
    assert "Classeur" in row and "importée par" in row and "Saisie par" not in row
