"""One Cafdata import feeds the territory statistics of the diagnostic and the measurements
of the indicators bound to its series, for every convention of the Caf (issue #16).

The files are built here with the real column names of the portal's exports
(``txcouv_pe_epci``, ``txcouv_pe_com``, ``nbpla_pe_com``), ``;``-separated, with a byte
order mark. The bindings have no form yet: the tests set them on the indicators.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.factories import ActionSheetFactory, ObjectiveFactory
from conventions.factories import CollectivityFactory, ConventionFactory, SignatoryFactory
from conventions.models import Convention
from diagnostics import cafdata
from diagnostics.models import StatisticImport, TerritoryStatistic
from diagnostics.selectors import cafdata_lookups
from evaluation import opendata
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import (
    Aggregation,
    Breakdown,
    IndicatorProgress,
    Measurement,
    MeasurementPart,
    PeriodLock,
)

EPCI_HEADER = (
    "annee",
    "numepci",
    "nomepci",
    "txcouv_eaje_epci",
    "txcouv_am_ind_epci",
    "txcouv_prescol_epci",
    "txcouv_epci",
)
COMMUNE_HEADER = (
    "annee",
    "numcom",
    "nomcom",
    "txcouv_eaje_com",
    "txcouv_am_ind_com",
    "txcouv_prescol_com",
    "txcouv_com",
)
PLACES_HEADER = ("annee", "numcom", "nomcom", "pl_eaje_com", "pl_am_ind_com", "tot_offre_com")


def csv_file(header, rows) -> bytes:
    lines = [";".join(header)] + [";".join(str(cell) for cell in row) for row in rows]
    return b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode()


def epci_coverage(rate_2022: str = "54,6") -> bytes:
    """txcouv_pe_epci: the EPCI of the world over two years, an unknown SIREN, an XX row."""
    return csv_file(
        EPCI_HEADER,
        [
            (2021, "200041614", "CC des Deux Rives", "20,5", "30,1", "2,0", "52,6"),
            (2022, "200041614", "CC des Deux Rives", "21,5", "31,1", "2,0", rate_2022),
            (2022, "200066926", "CA Autre Part", "10", "10", "1", "21"),
            (2022, "XX", "Non réparti", "", "", "", ""),
        ],
    )


def commune_coverage() -> bytes:
    """txcouv_pe_com: two communes over two years, an unknown code, an XX row."""
    return csv_file(
        COMMUNE_HEADER,
        [
            (2021, "82090", "Laguépie", "18,2", "40,0", "1,5", "59,7"),
            (2022, "82090", "Laguépie", "19,2", "41,0", "1,5", "61,7"),
            (2021, "82155", "Saint-Antonin-Noble-Val", "12", "35", "XX", "47"),
            (2022, "82155", "Saint-Antonin-Noble-Val", "13", "36", "XX", "49"),
            (2022, "82999", "Commune inconnue", "1", "1", "1", "3"),
            (2022, "82XXX", "Communes non réparties", "", "", "", ""),
        ],
    )


def bound(convention, dataset: str, column: str, *, objective: bool = False, **fields):
    holder = (
        {"action_sheet": None, "objective": ObjectiveFactory(convention=convention)}
        if objective
        else {"action_sheet": ActionSheetFactory(convention=convention)}
    )
    return IndicatorFactory(
        **holder,
        unit="places pour 100 enfants",
        baseline_date=datetime.date(2020, 12, 31),
        open_data_dataset=dataset,
        open_data_column=column,
        **fields,
    )


@pytest.fixture
def feed(world):
    """Two conventions of the Caf with bound indicators.

    - « CTG des Deux Rives » (the world's: the EPCI and Laguépie sign, Saint-Antonin is a
      member of the EPCI; from 2022): the EPCI's coverage rate, and the communes' rate
      broken down by commune (a rate: « moyenne », its total from the EPCI's file).
    - « CTG de Laguépie » (the commune alone; from 2021): the commune's rate, on an
      objective.
    """
    saint_antonin = CollectivityFactory(
        name="Saint-Antonin-Noble-Val", code="82155", caf=world.caf, parent_epci=world.epci
    )
    laguepie_ctg = ConventionFactory(
        caf=world.caf, name="CTG de Laguépie", start_date=datetime.date(2021, 1, 1)
    )
    SignatoryFactory(convention=laguepie_ctg, collectivity=world.commune)
    epci_rate = bound(world.convention, "txcouv_pe_epci", "txcouv_epci", name="Taux EPCI")
    by_commune = bound(
        world.convention,
        "txcouv_pe_com",
        "txcouv_com",
        name="Taux par commune",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.MEAN,
    )
    commune_rate = bound(
        laguepie_ctg, "txcouv_pe_com", "txcouv_com", objective=True, name="Taux de Laguépie"
    )
    unbound = IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))
    return SimpleNamespace(
        world=world,
        caf=world.caf,
        staff=world.caf_staff,
        epci=world.epci,
        laguepie=world.commune,
        saint_antonin=saint_antonin,
        deux_rives_ctg=world.convention,
        laguepie_ctg=laguepie_ctg,
        epci_rate=epci_rate,
        by_commune=by_commune,
        commune_rate=commune_rate,
        unbound=unbound,
    )


def parsed_values(feed, content: bytes):
    return cafdata.parse(content, collectivities=cafdata_lookups(caf=feed.caf), department="82")


def run_import(feed, content: bytes, token: str):
    parsed = parsed_values(feed, content)
    return opendata.opendata_import(
        caf=feed.caf,
        dataset=parsed.dataset.key,
        filename="fichier.csv",
        values=parsed.values,
        user=feed.staff,
        token=token,
    )


def preview_of(feed, content: bytes):
    parsed = parsed_values(feed, content)
    return opendata.opendata_preview(caf=feed.caf, dataset=parsed.dataset, values=parsed.values)


def measured(indicator) -> dict[datetime.date, Decimal]:
    return dict(Measurement.objects.filter(indicator=indicator).values_list("date", "value"))


def parts(indicator, day) -> dict[int, Decimal]:
    return dict(
        MeasurementPart.objects.filter(
            measurement__indicator=indicator, measurement__date=day
        ).values_list("collectivity_id", "value")
    )


def upload(client, convention, content: bytes, name: str = "txcouv_pe_com.csv"):
    url = reverse("diagnostics:cafdata_upload", args=[convention.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content, "text/csv")})


def token_of(response) -> str:
    found = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert found, "the preview offers no confirmation"
    return found.group(1)


def confirm(client, convention, token: str):
    url = reverse("diagnostics:cafdata_confirm", args=[convention.pk])
    return client.post(url, {"token": token}, follow=True)


DEC_2021, DEC_2022 = datetime.date(2021, 12, 31), datetime.date(2022, 12, 31)


# --- the done-when of issue #16 -----------------------------------------------------------


def test_one_import_feeds_statistics_and_bound_indicators_of_two_conventions(feed):
    versions = {c.pk: c.data_version for c in Convention.objects.filter(caf=feed.caf)}

    # The EPCI's file: the statistics of the EPCI, the EPCI's indicator, and the total of
    # the rate broken down by commune (a rate does not add up: the EPCI's figure is it).
    preview = preview_of(feed, epci_coverage())
    assert preview.summary == "1 convention, 10 valeurs nouvelles, 0 modifiée, 0 inchangée"
    assert preview.measurements == {
        "nouvelle": 2,
        "modifiee": 0,
        "inchangee": 0,
        "conservee": 0,
        "ignoree": 2,
    }
    [line] = preview.conventions
    assert line.convention == feed.deux_rives_ctg
    assert line.statistics["nouvelle"] == 8
    assert [i.name for i in line.indicators] == ["Taux EPCI", "Taux par commune"]
    assert {(i.indicator.name, i.year, i.reason[:29]) for i in preview.skipped} == {
        ("Taux EPCI", 2021, "hors période de la convention"),
        ("Taux par commune", 2021, "hors période de la convention"),
    }
    assert not preview.errors
    assert TerritoryStatistic.objects.count() == Measurement.objects.count() == 0

    epci_record = run_import(feed, epci_coverage(), token="epci")
    assert measured(feed.epci_rate) == {DEC_2022: Decimal("54.60")}
    assert measured(feed.by_commune) == {DEC_2022: Decimal("54.60")}
    assert (epci_record.created_count, epci_record.conventions_count) == (10, 1)

    # The communes' file: the communes' statistics (for both conventions), the communes'
    # values of the broken-down rate (its total kept), and Laguépie's own CTG.
    preview = preview_of(feed, commune_coverage())
    assert preview.summary == "2 conventions, 16 valeurs nouvelles, 1 modifiée, 0 inchangée"
    counts = {line.convention.name: line for line in preview.conventions}
    assert counts["CTG des Deux Rives"].statistics["nouvelle"] == 14
    assert counts["CTG des Deux Rives"].measurements["modifiee"] == 1
    assert counts["CTG de Laguépie"].statistics["nouvelle"] == 8
    assert counts["CTG de Laguépie"].measurements["nouvelle"] == 2
    assert [i.name for i in counts["CTG de Laguépie"].indicators] == ["Taux de Laguépie"]

    commune_record = run_import(feed, commune_coverage(), token="communes")
    assert measured(feed.commune_rate) == {DEC_2021: Decimal("59.70"), DEC_2022: Decimal("61.70")}
    assert parts(feed.by_commune, DEC_2022) == {
        feed.laguepie.pk: Decimal("61.70"),
        feed.saint_antonin.pk: Decimal("49.00"),
    }
    assert measured(feed.by_commune) == {DEC_2022: Decimal("54.60")}
    assert not Measurement.objects.filter(indicator=feed.unbound).exists()
    # The diagnostic got its statistics too.
    assert TerritoryStatistic.objects.filter(
        collectivity=feed.laguepie, statistic__code="taux-couverture", year=2022
    ).get().value == Decimal("61.70")

    # Where each value comes from, validated by its import, with its history.
    value = Measurement.objects.get(indicator=feed.commune_rate, date=DEC_2022)
    assert value.source_kind == Measurement.SourceKind.OPEN_DATA
    assert value.source_import == commune_record
    assert value.validation_state == Measurement.State.VALIDATED
    assert value.validated_by == feed.staff and value.entered_by == feed.staff
    assert (
        value.history.first().history_change_reason == "Import Cafdata txcouv_pe_com (fichier.csv)"
    )
    total = Measurement.objects.get(indicator=feed.by_commune, date=DEC_2022)
    assert total.source_import == commune_record
    # The figures of both conventions changed, their progress computed again.
    after = {c.pk: c.data_version for c in Convention.objects.filter(caf=feed.caf)}
    assert all(after[pk] > versions[pk] for pk in (feed.deux_rives_ctg.pk, feed.laguepie_ctg.pk))
    progress = IndicatorProgress.objects.get(indicator=feed.commune_rate)
    assert (progress.last_value, progress.last_date) == (Decimal("61.70"), DEC_2022)

    # A second import of each file changes nothing.
    for content in (epci_coverage(), commune_coverage()):
        again = preview_of(feed, content)
        assert again.changes == 0
        assert again.totals["nouvelle"] == again.totals["modifiee"] == 0
    before = after
    history = Measurement.history.count(), MeasurementPart.history.count()
    run_import(feed, commune_coverage(), token="communes-2")
    run_import(feed, epci_coverage(), token="epci-2")
    assert (Measurement.history.count(), MeasurementPart.history.count()) == history
    after = {c.pk: c.data_version for c in Convention.objects.filter(caf=feed.caf)}
    assert after == before
    assert Measurement.objects.count() == 4


def test_unknown_codes_and_xx_rows_are_listed_on_the_preview(feed, login):
    client = login(feed.staff)
    page = upload(client, feed.deux_rives_ctg, epci_coverage(), "txcouv_pe_epci.csv")
    text = page.content.decode()
    assert "200066926" in text and "CA Autre Part" in text
    assert "<code>XX</code>" in text
    page = upload(client, feed.deux_rives_ctg, commune_coverage()).content.decode()
    assert "82999" in page and "82XXX" in page


def test_an_error_saves_nothing_neither_statistics_nor_measurements(feed, login):
    """Places add up: the broken-down count's total is the sum of its communes. Two
    communes at the largest value the file accepts make a total no measurement holds:
    the statistics, written first in the same transaction, are undone with it."""
    bound(
        feed.deux_rives_ctg,
        "nbpla_pe_com",
        "tot_offre_com",
        name="Places par commune",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.SUM,
    )
    huge = "999999999999"
    content = csv_file(
        PLACES_HEADER,
        [
            (2022, "82090", "Laguépie", "1", "1", huge),
            (2022, "82155", "Saint-Antonin-Noble-Val", "1", "1", huge),
        ],
    )
    preview = preview_of(feed, content)
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith(
        "Indicateur « Places par commune » (CTG des Deux Rives), 2022 :"
    )
    with pytest.raises(ValidationError):
        run_import(feed, content, token="trop-grand")
    assert TerritoryStatistic.objects.count() == 0
    assert Measurement.objects.count() == MeasurementPart.objects.count() == 0
    assert StatisticImport.objects.count() == 0
    # The page says so and offers no confirmation.
    page = upload(login(feed.staff), feed.deux_rives_ctg, content, "nbpla_pe_com.csv")
    text = page.content.decode()
    assert "Le fichier ne peut pas être importé : 1 mesure d'indicateurs" in text
    assert 'name="token"' not in text


# --- the rules of which value feeds what ------------------------------------------------


def test_a_count_broken_down_by_commune_totals_its_communes(feed):
    places = bound(
        feed.deux_rives_ctg,
        "nbpla_pe_com",
        "tot_offre_com",
        name="Places par commune",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.SUM,
    )
    content = csv_file(
        PLACES_HEADER,
        [(2022, "82090", "Laguépie", 10, 30, 40), (2022, "82155", "Saint-Antonin", 5, 7, 12)],
    )
    run_import(feed, content, token="places")
    assert measured(places) == {DEC_2022: Decimal("52.00")}
    assert parts(places, DEC_2022) == {
        feed.laguepie.pk: Decimal("40.00"),
        feed.saint_antonin.pk: Decimal("12.00"),
    }


def test_a_sum_with_a_masked_commune_is_listed_not_guessed(feed):
    places = bound(
        feed.deux_rives_ctg,
        "nbpla_pe_com",
        "tot_offre_com",
        name="Places par commune",
        breakdown=Breakdown.COMMUNE,
        aggregation=Aggregation.SUM,
    )
    content = csv_file(
        PLACES_HEADER,
        [(2022, "82090", "Laguépie", 10, 30, 40), (2022, "82155", "Saint-Antonin", 5, 7, "XX")],
    )
    [skipped] = preview_of(feed, content).skipped
    assert skipped.indicator == places
    assert (
        skipped.reason
        == "total non calculable : 1 commune du territoire sans valeur dans le fichier"
    )
    run_import(feed, content, token="places")
    assert not Measurement.objects.filter(indicator=places).exists()


def test_a_rate_of_several_communes_without_the_epci_total_is_listed(feed):
    preview = preview_of(feed, commune_coverage())
    reasons = {(i.indicator.name, i.year): i.reason for i in preview.skipped}
    assert reasons[("Taux par commune", 2022)] == opendata.NO_TOTAL
    assert reasons[("Taux par commune", 2021)].startswith("hors période de la convention")


def test_an_epci_indicator_of_a_territory_without_epci_is_listed(feed):
    bound(feed.laguepie_ctg, "txcouv_pe_epci", "txcouv_epci", name="Taux intercommunal")
    preview = preview_of(feed, epci_coverage())
    reasons = {(i.indicator.name, i.year): i.reason for i in preview.skipped}
    assert reasons[("Taux intercommunal", 2022)] == opendata.NO_EPCI


def test_a_value_replaced_by_hand_with_a_reason_is_kept(feed):
    MeasurementFactory(
        indicator=feed.commune_rate,
        date=DEC_2022,
        value=Decimal("70"),
        source_kind=Measurement.SourceKind.TYPED,
        override_reason="Le multi-accueil ouvert en 2022 manque aux chiffres de la Cnaf",
    )
    preview = preview_of(feed, commune_coverage())
    line = next(c for c in preview.conventions if c.convention == feed.laguepie_ctg)
    assert line.measurements["conservee"] == 1 and line.measurements["nouvelle"] == 1
    run_import(feed, commune_coverage(), token="t")
    assert measured(feed.commune_rate)[DEC_2022] == Decimal("70")


def test_a_typed_value_becomes_the_open_data_value(feed):
    typed = MeasurementFactory(indicator=feed.commune_rate, date=DEC_2022, value=Decimal("61.7"))
    preview = preview_of(feed, commune_coverage())
    assert [i.current for i in preview.measurements_changed] == [typed]
    record = run_import(feed, commune_coverage(), token="t")
    typed.refresh_from_db()
    assert typed.source_kind == Measurement.SourceKind.OPEN_DATA
    assert typed.source_import == record


def test_a_value_in_a_locked_period_is_listed_and_not_imported(feed):
    PeriodLock.objects.create(
        convention=feed.laguepie_ctg,
        start=datetime.date(2022, 1, 1),
        end=datetime.date(2022, 12, 31),
        label="Rapport 2022",
        reference="rapport:1",
    )
    preview = preview_of(feed, commune_coverage())
    reasons = {(i.indicator.name, i.year): i.reason for i in preview.skipped}
    assert reasons[("Taux de Laguépie", 2022)] == "période verrouillée par « Rapport 2022 »"
    run_import(feed, commune_coverage(), token="t")
    assert measured(feed.commune_rate) == {DEC_2021: Decimal("59.70")}


def test_the_import_costs_the_same_whatever_the_rows_and_a_constant_per_convention(feed):
    def queries(content, token) -> int:
        with CaptureQueriesContext(connection) as captured:
            run_import(feed, content, token=token)
        return len(captured.captured_queries)

    def rows(years) -> bytes:
        return csv_file(
            COMMUNE_HEADER,
            [(y, "82090", "Laguépie", "1", "2", "3", str(y - 2000)) for y in years],
        )

    run_import(feed, rows([2021]), token="definitions")  # creates the statistics' definitions
    few = queries(rows([2022]), "a")
    many = queries(rows([2023, 2024, 2025]), "b")
    assert many == few
    for index in range(4):
        other = ConventionFactory(caf=feed.caf, name=f"CTG {index}")
        SignatoryFactory(convention=other, collectivity=feed.laguepie)
        bound(other, "txcouv_pe_com", "txcouv_com", name=f"Suivi {index}")
    # Sixteen new measurements in four more conventions: a few queries per convention.
    more = queries(rows([2022, 2023, 2024, 2025]), "c")
    assert Measurement.objects.filter(indicator__name__startswith="Suivi ").count() == 16
    assert more - many <= 4 * 3


# --- the pages ------------------------------------------------------------------------------


def test_caf_staff_uploads_previews_and_confirms(feed, login):
    client = login(feed.staff)
    run_import(feed, epci_coverage(), token="epci")
    page = upload(client, feed.laguepie_ctg, commune_coverage())
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 conventions, 16 valeurs nouvelles, 1 modifiée, 0 inchangée" in text
    assert "Indicateurs alimentés" in text
    assert "Taux de Laguépie" in text and "Taux par commune" in text
    assert "Mesures d'indicateurs qui seront remplacées (1)" in text
    assert "Mesures d'indicateurs non importées (1)" in text
    assert "hors période de la convention" in text
    assert Measurement.objects.filter(indicator=feed.commune_rate).count() == 0
    done = confirm(client, feed.laguepie_ctg, token_of(page))
    text = done.content.decode()
    assert "Import Cafdata terminé" in text
    assert "2 conventions, 16 valeurs nouvelles, 1 modifiée" in text
    assert "dont 3 mesures d&#x27;indicateurs nouvelles ou modifiées" in text
    assert measured(feed.commune_rate) == {DEC_2021: Decimal("59.70"), DEC_2022: Decimal("61.70")}
    again = upload(client, feed.laguepie_ctg, commune_coverage()).content.decode()
    assert "Ce fichier ne change rien" in again and 'name="token"' not in again


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_other_roles_cannot_upload_nor_confirm(feed, login, role):
    client = login(getattr(feed.world, role))
    assert upload(client, feed.deux_rives_ctg, commune_coverage()).status_code == 403
    url = reverse("diagnostics:cafdata_confirm", args=[feed.deux_rives_ctg.pk])
    assert client.post(url, {"token": "x"}).status_code == 403
    assert Measurement.objects.count() == TerritoryStatistic.objects.count() == 0


def test_another_caf_staff_does_not_reach_the_import(feed, login):
    client = login(feed.world.other_caf_staff)
    assert upload(client, feed.deux_rives_ctg, commune_coverage()).status_code == 404
