"""The measurement workbook of an indicator broken down by commune: a row for the total of
the territory and one per commune, round-tripped (download → upload → preview → confirm)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from actions.factories import ActionSheetFactory
from conventions.factories import CollectivityFactory
from evaluation import imports, services
from evaluation.factories import IndicatorFactory
from evaluation.models import (
    Aggregation,
    Breakdown,
    Measurement,
    MeasurementImport,
    MeasurementPart,
)
from evaluation.sources import source_label

START, END = datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)
D22, D23 = datetime.date(2022, 12, 31), datetime.date(2023, 12, 31)


@pytest.fixture
def territory(world):
    """Three communes in the territory: Laguépie (a signatory) and two members of the EPCI."""
    world.convention.start_date, world.convention.end_date = START, END
    world.convention.save()
    parisot = CollectivityFactory(name="Parisot", caf=world.caf, parent_epci=world.epci)
    saint_antonin = CollectivityFactory(
        name="Saint-Antonin-Noble-Val", caf=world.caf, parent_epci=world.epci
    )
    return [world.commune, parisot, saint_antonin]  # Laguépie, Parisot, Saint-Antonin


@pytest.fixture
def places(world, territory):
    """A count broken down by commune, measured at the end of 2022 (4 + 5 + 6 = 15)."""
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01", title="Crèche")
    indicator = IndicatorFactory(
        action_sheet=sheet,
        name="Places",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.SUM,
    )
    services.record_measurement(
        indicator=indicator,
        date=D22,
        value=None,
        parts={c.pk: Decimal(v) for c, v in zip(territory, (4, 5, 6), strict=True)},
        user=world.caf_staff,
    )
    return indicator


def download(client, world):
    response = client.get(reverse("evaluation:workbook", args=[world.convention.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, world, data: bytes):
    return client.post(
        reverse("evaluation:workbook_upload", args=[world.convention.pk]),
        {"file": SimpleUploadedFile("mesures.xlsx", data)},
    )


def confirm(client, world, preview):
    return client.post(
        reverse("evaluation:workbook_confirm", args=[world.convention.pk]),
        {"token": preview.context["token"]},
    )


def cell(ws, row_name: str, header: str):
    """The cell of the row named ``row_name`` (column C) in the column titled ``header``."""
    titles = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[2].value == row_name:
            return row[titles.index(header)]
    raise AssertionError(f"pas de ligne « {row_name} »")


def state():
    """Every stored figure, with who wrote it when: what an import that changes nothing
    leaves as it was."""
    return (
        list(Measurement.objects.order_by("pk").values_list("pk", "value", "entered_at")),
        list(MeasurementPart.objects.order_by("pk").values_list("pk", "collectivity_id", "value")),
        Measurement.history.count() + MeasurementPart.history.count(),
    )


def parts_at(indicator, day) -> dict:
    return {
        p.collectivity.name: p.value
        for p in MeasurementPart.objects.filter(
            measurement__indicator=indicator, measurement__date=day
        ).select_related("collectivity")
    }


def test_the_download_has_the_total_then_a_row_per_commune(world, login, places, territory):
    wb = download(login(world.caf_staff), world)
    ws = wb[imports.SHEET_NAME]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == [
        "Places — total du territoire",
        "Places — Laguépie",
        "Places — Parisot",
        "Places — Saint-Antonin-Noble-Val",
    ]
    # The hidden key: the indicator for the total, « indicateur:commune » for a commune.
    assert [r[0] for r in rows] == [places.pk] + [f"{places.pk}:{c.pk}" for c in territory]
    assert [cell(ws, r[2], "31/12/2022").value for r in rows] == [15, 4, 5, 6]
    assert cell(ws, "Places — Parisot", "31/12/2023").value is None
    # Where each value comes from: the sheet « Sources » and its « Source » column.
    sources = list(wb[imports.SOURCES_SHEET_NAME].iter_rows(values_only=True))
    assert sources[0] == imports.SOURCES_HEADERS
    assert sources[1][1] == "Places" and sources[1][4] == 15
    assert sources[1][5] == source_label(Measurement.objects.get())
    assert sources[1][5].startswith("Saisie par Claire")


def test_uploading_the_downloaded_workbook_changes_nothing(world, login, places):
    client = login(world.caf_staff)
    before = state()
    preview = upload(client, world, to_bytes(download(client, world)))
    assert preview.status_code == 200
    assert "ne change aucune mesure" in preview.content.decode()
    assert len(preview.context["preview"].unchanged) == 4  # the total and three communes
    confirm(client, world, preview)
    assert state() == before


def test_a_changed_commune_updates_its_value_and_the_total(world, login, places):
    client = login(world.coordinator)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    cell(ws, "Places — Parisot", "31/12/2022").value = 8  # was 5; the total cell stays 15
    preview = upload(client, world, to_bytes(wb))
    assert preview.status_code == 200
    changed = preview.context["preview"].changed
    assert [(line.name, line.old, line.new, line.computed) for line in changed] == [
        ("Places — total du territoire", Decimal("15"), Decimal("18"), True),
        ("Places — Parisot", Decimal("5"), Decimal("8"), False),
    ]
    assert "somme des communes" in preview.content.decode()
    assert Measurement.objects.get().value == 15  # nothing written before the confirmation

    assert confirm(client, world, preview).status_code == 302
    measurement = Measurement.objects.get()
    assert measurement.value == 18
    assert parts_at(places, D22) == {
        "Laguépie": Decimal("4"),
        "Parisot": Decimal("8"),
        "Saint-Antonin-Noble-Val": Decimal("6"),
    }
    # An import: its source, its author, and the territory's change waits for the Caf.
    assert measurement.source_kind == Measurement.SourceKind.SPREADSHEET
    assert measurement.spreadsheet_import == MeasurementImport.objects.get()
    assert measurement.entered_by == world.coordinator
    assert measurement.validation_state == Measurement.State.PENDING


def test_a_total_that_is_not_the_sum_of_the_communes_is_refused_with_its_cell(world, login, places):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    cell(ws, "Places — Parisot", "31/12/2023").value = 2
    cell(ws, "Places — Laguépie", "31/12/2023").value = 3
    total = cell(ws, "Places — total du territoire", "31/12/2023")
    total.value = 6
    before = state()
    response = upload(client, world, to_bytes(wb))
    html = response.content.decode()
    assert "1 erreur à corriger. Aucune mesure n'a été enregistrée." in html
    assert (
        f"Feuille « Mesures », ligne 2, colonne {total.column_letter} : Le total (6) doit être "
        "égal à la somme des communes (5)."
    ) in html
    assert not response.context.get("token")
    assert state() == before


def test_a_changed_total_beside_unchanged_communes_is_refused(world, login, places):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    cell(ws, "Places — total du territoire", "31/12/2022").value = 16
    response = upload(client, world, to_bytes(wb))
    assert "Le total (16) doit être égal à la somme des communes (15)." in response.content.decode()
    assert Measurement.objects.get().value == 15


def test_a_new_date_of_communes_without_a_total_gets_their_sum(world, login, places, territory):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    for name, value in (("Laguépie", 1), ("Parisot", "2,5"), ("Saint-Antonin-Noble-Val", 3)):
        cell(ws, f"Places — {name}", "31/12/2023").value = value
    preview = upload(client, world, to_bytes(wb))
    new = preview.context["preview"].new
    assert [(line.name, line.new) for line in new] == [
        ("Places — total du territoire", Decimal("6.5")),
        ("Places — Laguépie", Decimal("1")),
        ("Places — Parisot", Decimal("2.5")),
        ("Places — Saint-Antonin-Noble-Val", Decimal("3")),
    ]
    confirm(client, world, preview)
    assert Measurement.objects.get(date=D23).value == Decimal("6.5")
    assert parts_at(places, D23)["Parisot"] == Decimal("2.5")
    # The workbook downloaded again holds the same figures: uploading it changes nothing.
    before = state()
    again = upload(client, world, to_bytes(download(client, world)))
    assert "ne change aucune mesure" in again.content.decode()
    assert state() == before


def test_a_commune_outside_the_territory_is_refused(world, login, places):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    ws.append(
        [f"{places.pk}:{world.other_commune.pk}", "FA-01", "Places — Sorbiers", "", None, None, 3]
    )
    response = upload(client, world, to_bytes(wb))
    html = response.content.decode()
    assert (
        f"ligne 6, colonne A : la commune de clé {world.other_commune.pk} n&#x27;appartient pas "
        "au territoire de la convention"
    ) in html
    assert not response.context.get("token")
    assert MeasurementPart.objects.count() == 3


def test_commune_rows_of_an_indicator_not_broken_down_are_refused(world, login, places):
    other = IndicatorFactory(action_sheet=places.action_sheet, name="Familles")
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    ws.append([f"{other.pk}:{world.commune.pk}", "FA-01", "Familles — Laguépie", "", None, None, 3])
    html = upload(client, world, to_bytes(wb)).content.decode()
    assert "cet indicateur n&#x27;est pas ventilé par commune" in html


def test_a_rate_needs_its_total_beside_new_communes(world, login, territory):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-02")
    IndicatorFactory(
        action_sheet=sheet,
        name="Taux de couverture",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.MEAN,
    )
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb[imports.SHEET_NAME]
    cell(ws, "Taux de couverture — Parisot", "31/12/2022").value = 55
    html = upload(client, world, to_bytes(wb)).content.decode()
    assert "Indiquez la valeur du territoire" in html
    cell(ws, "Taux de couverture — total du territoire", "31/12/2022").value = 60
    preview = upload(client, world, to_bytes(wb))
    confirm(client, world, preview)
    assert Measurement.objects.get().value == 60  # a rate: not the mean of the communes


def test_the_parser_reads_a_commune_key_and_refuses_a_commune_twice():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = imports.SHEET_NAME
    ws.append(list(imports.FIXED_HEADERS) + ["31/12/2022"])
    ws.append([1, "FA-01", "Places", "", 0, 10, 7])
    ws.append(["1:42", "FA-01", "Places — Parisot", "", None, None, 3])
    ws.append(["1:42", "FA-01", "Places — Parisot", "", None, None, 4])
    result = imports.parse_workbook(to_bytes(wb), indicator_ids=[1], start=START, end=END)
    assert [(v.indicator_id, v.collectivity_id, v.value) for v in result.values] == [
        (1, None, Decimal("7")),
        (1, 42, Decimal("3")),
    ]
    assert [str(e) for e in result.errors] == [
        "Feuille « Mesures », ligne 4, colonne A : la commune de l'indicateur "
        "« Places — Parisot » figure déjà ligne 3."
    ]


def test_an_unchanged_total_imported_on_its_own_is_kept(world, login, places):
    """A total that is not the sum of its communes (open data: the Caf's figure for the
    EPCI, its communes' figures rounded apart) is not refused while nobody changes it."""
    Measurement.objects.update(value=16)
    client = login(world.caf_staff)
    before = state()
    preview = upload(client, world, to_bytes(download(client, world)))
    assert "ne change aucune mesure" in preview.content.decode()
    confirm(client, world, preview)
    assert state() == before
