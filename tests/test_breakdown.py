"""An indicator broken down by commune: the entry rule, the measurement form and its edit,
the commune tables of the indicator page and the Synthèse, the territory comparison."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.factories import ActionSheetFactory
from conventions.factories import CollectivityFactory
from evaluation import breakdown, services
from evaluation.factories import IndicatorFactory
from evaluation.models import Aggregation, Breakdown, Indicator, Measurement, MeasurementPart

START, END = datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)
D22, D23, D24 = (datetime.date(y, 12, 31) for y in (2022, 2023, 2024))


@pytest.fixture
def territory(world):
    """Three communes: Laguépie (a signatory) and two members of the EPCI, by name."""
    world.convention.start_date, world.convention.end_date = START, END
    world.convention.save()
    parisot = CollectivityFactory(name="Parisot", caf=world.caf, parent_epci=world.epci)
    saint_antonin = CollectivityFactory(
        name="Saint-Antonin-Noble-Val", caf=world.caf, parent_epci=world.epci
    )
    return [world.commune, parisot, saint_antonin]


def broken_down(world, *, name="Places", aggregation=Aggregation.SUM, number="FA-01"):
    sheet = ActionSheetFactory(convention=world.convention, number=number)
    return IndicatorFactory(
        action_sheet=sheet, name=name, breakdown=Breakdown.COMMUNE, aggregation=aggregation
    )


@pytest.fixture
def places(world, territory):
    return broken_down(world)


def parts(territory, *values) -> dict:
    return {c.pk: Decimal(str(v)) for c, v in zip(territory, values, strict=True) if v is not None}


def record(world, indicator, day, territory, *values, total=None, user=None):
    return services.record_measurement(
        indicator=indicator,
        date=day,
        value=total,
        parts=parts(territory, *values),
        user=user or world.caf_staff,
    )


def stored_parts(measurement) -> dict:
    return {p.collectivity.name: p.value for p in measurement.parts.select_related("collectivity")}


# ------------------------------------------------------------ the entry rule


@pytest.mark.parametrize(
    "total, old_total, old_parts, entered, expected",
    [
        (None, None, {}, {1: "4", 2: "5"}, ("9", True)),  # empty: the sum
        ("9", None, {}, {1: "4", 2: "5"}, ("9", False)),  # equal to the sum
        ("9", "9", {1: "4", 2: "5"}, {2: "7"}, ("11", True)),  # left as it was: the new sum
    ],
)
def test_the_total_of_a_count_is_the_sum_of_its_communes(
    total, old_total, old_parts, entered, expected
):
    indicator = Indicator(breakdown=Breakdown.COMMUNE, aggregation=Aggregation.SUM)
    resolved = breakdown.resolve(
        indicator=indicator,
        total=None if total is None else Decimal(total),
        parts={k: Decimal(v) for k, v in entered.items()},
        old_total=None if old_total is None else Decimal(old_total),
        old_parts={k: Decimal(v) for k, v in old_parts.items()},
    )
    assert (resolved.total, resolved.computed) == (Decimal(expected[0]), expected[1])


def test_it_refuses_a_count_whose_total_is_not_the_sum_in_french():
    indicator = Indicator(breakdown=Breakdown.COMMUNE, aggregation=Aggregation.SUM)
    with pytest.raises(
        breakdown.Refused, match=r"Le total \(10\) doit être égal à la somme des communes \(9\)"
    ):
        breakdown.resolve(
            indicator=indicator, total=Decimal(10), parts={1: Decimal(4), 2: Decimal(5)}
        )


def test_a_rate_keeps_its_own_total_and_needs_one():
    indicator = Indicator(breakdown=Breakdown.COMMUNE, aggregation=Aggregation.MEAN)
    rates = {1: Decimal(40), 2: Decimal(80)}
    assert breakdown.resolve(indicator=indicator, total=Decimal(52), parts=rates).total == 52
    with pytest.raises(breakdown.Refused, match="Indiquez la valeur du territoire"):
        breakdown.resolve(indicator=indicator, total=None, parts=rates)


# ------------------------------------------------------------------ services


def test_a_measurement_is_recorded_with_its_communes_in_one_go(world, places, territory):
    measurement = record(world, places, D22, territory, 4, "5.5", 6)
    assert measurement.value == Decimal("15.5")
    assert stored_parts(measurement) == {
        "Laguépie": Decimal("4"),
        "Parisot": Decimal("5.5"),
        "Saint-Antonin-Noble-Val": Decimal("6"),
    }
    assert MeasurementPart.history.count() == 3


def test_it_refuses_a_commune_outside_the_territory_and_saves_nothing(world, places, territory):
    with pytest.raises(ValidationError, match="« Sorbiers » n'appartient pas au territoire"):
        services.record_measurement(
            indicator=places,
            date=D22,
            value=None,
            parts={territory[0].pk: Decimal(1), world.other_commune.pk: Decimal(2)},
            user=world.caf_staff,
        )
    assert not Measurement.objects.exists() and not MeasurementPart.objects.exists()


def test_it_refuses_a_wrong_total_on_the_value_field_and_saves_nothing(world, places, territory):
    with pytest.raises(ValidationError) as error:
        record(world, places, D22, territory, 4, 5, 6, total=Decimal(20))
    assert error.value.message_dict == {
        "value": ["Le total (20) doit être égal à la somme des communes (15)."]
    }
    assert not Measurement.objects.exists() and not MeasurementPart.objects.exists()


def test_an_edit_of_one_commune_updates_the_total_and_submits_it_again(world, places, territory):
    measurement = record(world, places, D22, territory, 4, 5, 6)
    services.measurement_update(
        measurement=measurement,
        value=Decimal(15),  # the total as the form showed it
        parts=parts(territory, 4, 9, None),  # Parisot changed, Saint-Antonin emptied
        user=world.coordinator,
    )
    measurement.refresh_from_db()
    assert measurement.value == 13
    assert stored_parts(measurement) == {"Laguépie": Decimal("4"), "Parisot": Decimal("9")}
    assert measurement.validation_state == Measurement.State.PENDING


# --------------------------------------------------------------------- the form


def indicator_url(world, indicator):
    return reverse("evaluation:indicator", args=[world.convention.pk, indicator.pk])


def test_the_form_has_a_field_per_commune_and_computes_the_total(world, login, places, territory):
    client = login(world.caf_staff)
    page = client.get(indicator_url(world, places)).content.decode()
    for commune in territory:
        assert f'name="commune_{commune.pk}"' in page
    assert "Total du territoire" in page
    data = {"date": "2022-12-31", "value": "", "comment": ""}
    data.update({f"commune_{c.pk}": v for c, v in zip(territory, ("4", "5,5", ""), strict=True)})
    response = client.post(indicator_url(world, places), data)
    assert response.status_code == 302
    measurement = Measurement.objects.get()
    assert measurement.value == Decimal("9.5")
    assert stored_parts(measurement) == {"Laguépie": Decimal("4"), "Parisot": Decimal("5.5")}


def test_the_form_shows_a_wrong_total_under_its_field(world, login, places, territory):
    data = {"date": "2022-12-31", "value": "12", "comment": ""}
    data.update({f"commune_{c.pk}": "5" for c in territory})
    response = login(world.caf_staff).post(indicator_url(world, places), data)
    assert response.status_code == 200
    assert response.context["form"].errors["value"] == [
        "Le total (12) doit être égal à la somme des communes (15)."
    ]
    assert not Measurement.objects.exists()


def test_the_edit_form_shows_the_communes_and_saves_them(world, login, places, territory):
    measurement = record(world, places, D22, territory, 4, 5, 6)
    url = reverse("evaluation:measurement_edit", args=[world.convention.pk, measurement.pk])
    client = login(world.caf_staff)
    form = client.get(url).context["form"]
    assert form.initial[f"commune_{territory[1].pk}"] == Decimal(5)
    data = {"value": "15", "comment": ""}
    data.update({f"commune_{c.pk}": v for c, v in zip(territory, ("4", "5", "1"), strict=True)})
    assert client.post(url, data).status_code == 302
    measurement.refresh_from_db()
    assert measurement.value == 10


# ------------------------------------------------------- the indicator page


def test_the_indicator_page_shows_the_validated_values_per_commune(world, login, places, territory):
    record(world, places, D22, territory, 4, 5, 6)
    record(world, places, D23, territory, 1234, 5, 7)
    record(world, places, D24, territory, 99, 99, 99, user=world.coordinator)  # à valider
    html = login(world.caf_staff).get(indicator_url(world, places)).content.decode()
    section = html[html.find('id="h-par-commune"') :]
    assert "Saint-Antonin-Noble-Val" in section
    assert "1\u202f234" in section  # French numbers
    assert "99" not in section.split("</table>")[0]  # only the values that count
    assert "« Places » par commune" in section  # the chart per commune


def test_an_indicator_not_broken_down_has_no_commune_table(world, login, territory):
    indicator = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))
    html = login(world.caf_staff).get(indicator_url(world, indicator)).content.decode()
    assert 'id="h-par-commune"' not in html


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_indicator_page_runs_the_same_queries_whatever_the_communes_and_dates(
    world, login, places, territory
):
    client = login(world.caf_staff)
    record(world, places, D22, territory, 4, 5, 6)
    few = count_queries(client, indicator_url(world, places))
    for _ in range(5):
        territory.append(CollectivityFactory(caf=world.caf, parent_epci=world.epci))
    record(world, places, D23, territory, *range(1, 9))
    record(world, places, D24, territory, *range(2, 10))
    assert count_queries(client, indicator_url(world, places)) == few


# ------------------------------------------------------------------ synthèse


def synthese_url(world):
    return reverse("portal:detail", args=[world.convention.pk])


def test_the_synthese_shows_the_latest_value_of_each_commune(world, login, places, territory):
    record(world, places, D22, territory, 4, 5, 6)
    record(world, places, D23, territory, 7, None, 8)
    html = login(world.elected).get(synthese_url(world)).content.decode()
    section = html[html.find('id="h-par-commune"') :]
    table = section[: section.find("</table>")]
    assert "Indicateurs par commune" in html and "Places" in section
    # Laguépie's and Saint-Antonin's of 2023, Parisot's of 2022 (none in 2023).
    assert [cell for cell in ("7", "8", "5") if f">{cell}</td>" in table] == ["7", "8", "5"]
    assert "31/12/2022" in table and "31/12/2023" in table


def test_the_synthese_without_a_broken_down_indicator_shows_no_commune_table(
    world, login, territory
):
    html = login(world.elected).get(synthese_url(world)).content.decode()
    assert "Indicateurs par commune" not in html


def test_the_synthese_runs_the_same_queries_whatever_the_broken_down_indicators(
    world, login, places, territory, settings
):
    settings.FRAGMENT_CACHE_SECONDS = 0  # the figures drawn at each request
    client = login(world.elected)
    record(world, places, D22, territory, 4, 5, 6)
    few = count_queries(client, synthese_url(world))
    for n in range(2, 6):
        indicator = broken_down(world, name=f"Indicateur {n}", number=f"FA-0{n}")
        record(world, indicator, D22, territory, 1, 2, 3)
        record(world, indicator, D23, territory, 4, 5, 6)
    territory.append(CollectivityFactory(caf=world.caf, parent_epci=world.epci))
    assert count_queries(client, synthese_url(world)) == few


def test_the_commune_tables_of_a_convention_take_four_queries(
    world, places, territory, django_assert_num_queries
):
    for n in range(2, 5):
        record(world, broken_down(world, number=f"FA-0{n}"), D22, territory, 1, 2, 3)
    # Its broken-down indicators, its communes, their values, their totals.
    with django_assert_num_queries(4):
        tables = breakdown.convention_tables(convention=world.convention)
    assert len(tables) == 4 and [r.latest for r in tables[1].rows] == [1, 2, 3]


# ---------------------------------------------------- territory comparison


def test_the_territory_comparison_compares_the_communes_of_an_indicator(
    world, login, places, territory
):
    record(world, places, D22, territory, 4, 5, 6)
    record(world, places, D23, territory, 7, 9, 8)
    url = reverse("evaluation:territories", args=[world.convention.pk])
    client = login(world.caf_staff)
    page = client.get(url)
    assert f'value="indicateur-{places.pk}"' in page.content.decode()
    response = client.get(url, {"statistique": f"indicateur-{places.pk}"})
    data = response.context["data"]
    assert data["years"] == [2022, 2023]
    assert [(r["collectivity"].name, r["values"]) for r in data["rows"]] == [
        ("Laguépie", [4, 7]),
        ("Parisot", [5, 9]),
        ("Saint-Antonin-Noble-Val", [6, 8]),
    ]
    html = response.content.decode()
    assert "Places (indicateur, par commune) en 2023" in html  # the latest value compared
