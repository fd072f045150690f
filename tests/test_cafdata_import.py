"""Importing Cafdata open-data files (the Caf's public statistics) into the territory statistics.

The files are built here with the real column names of the portal's exports
(``txcouv_pe_epci``/``txcouv_pe_com`` and their ``_hist`` series, ``nbpla_pe_com``,
``s_ben_com_f``), ``;``-separated, UTF-8 with or without byte order mark.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conventions.factories import CollectivityFactory, ConventionFactory, SignatoryFactory
from conventions.models import Collectivity, Convention
from diagnostics import cafdata, services
from diagnostics.factories import TerritoryStatisticFactory, statistic_definition
from diagnostics.models import StatisticDefinition, StatisticImport, TerritoryStatistic

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
HOUSEHOLDS_HEADER = ("numcomdo", "nomcomdo", "annee", "indfoy_af", "indfoy_rsa", "indfoy_ppa")


def csv_file(header, rows, *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    lines = [";".join(header)] + [";".join(str(cell) for cell in row) for row in rows]
    content = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + content) if bom else content


def epci_coverage(**kwargs) -> bytes:
    """txcouv_pe_epci_hist: the EPCI of the world, an EPCI of elsewhere, a placeholder row."""
    return csv_file(
        EPCI_HEADER,
        [
            (2021, "200041614", "CC des Deux Rives", "20,5", "30,1", "2,0", "52,6"),
            (2022, "200041614", "CC des Deux Rives", "21,5", "31,1", "2,0", "54,6"),
            (2022, "200066926", "CA Autre Part", "10", "10", "1", "21"),
            (2022, "XX", "Non réparti", "", "", "", ""),
        ],
        **kwargs,
    )


def commune_coverage(**kwargs) -> bytes:
    """txcouv_pe_com_hist: two years for the communes of the Caf, plus what must not match."""
    return csv_file(
        COMMUNE_HEADER,
        [
            (2021, "82090", "Laguépie", "18,2", "40,0", "1,5", "59,7"),
            (2022, "82090", "Laguépie", "19,2", "41,0", "1,5", "61,7"),
            (2021, "82155", "Saint-Antonin-Noble-Val", "12", "35", "XX", "47"),
            (2022, "82155", "Saint-Antonin-Noble-Val", "13", "36", "XX", "49"),
            (2022, "82121", "Montricoux", "5", "44", "0", "49"),
            (2022, "82999", "Commune inconnue", "1", "1", "1", "3"),
            (2022, "42302", "Sorbiers", "30", "30", "3", "63"),
            (2022, "82XXX", "Communes non réparties", "", "", "", ""),
        ],
        **kwargs,
    )


@pytest.fixture
def territory(world):
    """A second convention of the same Caf sharing Laguépie, and a commune outside any."""
    saint_antonin = CollectivityFactory(
        name="Saint-Antonin-Noble-Val", code="82155", caf=world.caf, parent_epci=world.epci
    )
    montricoux = CollectivityFactory(name="Montricoux", code="82121", caf=world.caf)
    second = ConventionFactory(caf=world.caf, name="CTG de Laguépie")
    SignatoryFactory(convention=second, collectivity=world.commune)
    world.saint_antonin = saint_antonin
    world.montricoux = montricoux
    world.second_convention = second
    return world


def lookups(world) -> dict:
    from diagnostics.selectors import cafdata_lookups

    return cafdata_lookups(caf=world.caf)


def upload(client, world, content: bytes, name: str = "txcouv_pe_com_hist.csv"):
    url = reverse("diagnostics:cafdata_upload", args=[world.convention.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, content, "text/csv")})


def token_of(response) -> str:
    found = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert found, "the preview offers no confirmation"
    return found.group(1)


def confirm(client, world, token: str):
    url = reverse("diagnostics:cafdata_confirm", args=[world.convention.pk])
    return client.post(url, {"token": token}, follow=True)


def values(collectivity) -> dict[tuple[str, int], Decimal]:
    return {
        (s.statistic.code, s.year): s.value
        for s in TerritoryStatistic.objects.filter(collectivity=collectivity).select_related(
            "statistic"
        )
    }


# --- recognition and reading (pure) ----------------------------------------------------


@pytest.mark.parametrize("bom", [False, True], ids=["sans-bom", "avec-bom"])
@pytest.mark.parametrize(
    "content, key",
    [
        (epci_coverage, "txcouv_pe_epci"),
        (commune_coverage, "txcouv_pe_com"),
        (
            lambda **kw: csv_file(PLACES_HEADER, [(2022, "82090", "Laguépie", 12, 30, 42)], **kw),
            "nbpla_pe_com",
        ),
        (
            lambda **kw: csv_file(
                HOUSEHOLDS_HEADER, [("82090", "Laguépie", 2022, 120, 18, 40)], **kw
            ),
            "s_ben_com_f",
        ),
    ],
    ids=["couverture-epci", "couverture-communes", "places", "foyers"],
)
def test_it_recognises_each_data_set_by_its_columns(territory, content, key, bom):
    parsed = cafdata.parse(content(bom=bom), collectivities=lookups(territory), department="82")
    assert parsed.dataset.key == key
    assert parsed.errors == []
    assert parsed.values, "the rows of the Caf's collectivities are read"
    assert parsed.encoding_note == ""


def test_it_refuses_an_unrecognised_file_listing_the_known_data_sets(territory):
    with pytest.raises(cafdata.CafdataFileError) as refused:
        cafdata.parse(
            csv_file(("code", "annee", "valeur"), [("82090", 2022, 3)]),
            collectivities=lookups(territory),
            department="82",
        )
    message = str(refused.value)
    assert message.startswith("Ce fichier n'est pas reconnu comme un jeu de données Cafdata.")
    for expected in ("txcouv_pe_com", "txcouv_pe_epci", "nbpla_pe_com", "s_ben_com_f"):
        assert expected in message
    assert "numcomdo" in message and "txcouv_epci" in message


def test_it_matches_communes_by_insee_code_and_lists_unknown_codes_and_placeholders(territory):
    parsed = cafdata.parse(commune_coverage(), collectivities=lookups(territory), department="82")
    matched = {v.collectivity_id for v in parsed.values}
    assert matched == {territory.commune.pk, territory.saint_antonin.pk, territory.montricoux.pk}
    assert [(n.line, n.code) for n in parsed.unknown] == [(7, "82999")]
    assert [(n.line, n.code) for n in parsed.placeholders] == [(9, "82XXX")]
    # Sorbiers (42) belongs to another département: counted, neither listed nor imported.
    assert parsed.outside == 1
    # Saint-Antonin's « XX » (secret statistique) is an absent value, not an error.
    assert parsed.absent == 2
    assert parsed.years == [2021, 2022]
    laguepie = {
        (v.statistic, v.year): v.value
        for v in parsed.values
        if v.collectivity_id == territory.commune.pk
    }
    assert laguepie[("taux-couverture", 2022)] == Decimal("61.70")
    assert laguepie[("taux-couverture-eaje", 2021)] == Decimal("18.20")


def test_it_matches_epcis_by_siren_and_lists_the_others(territory):
    parsed = cafdata.parse(epci_coverage(), collectivities=lookups(territory), department="82")
    assert {v.collectivity_id for v in parsed.values} == {territory.epci.pk}
    assert len(parsed.values) == 8  # four series, two years
    assert [n.code for n in parsed.unknown] == ["200066926"]
    assert [n.code for n in parsed.placeholders] == ["XX"]


def test_it_restores_the_leading_zero_of_an_insee_code(world):
    ain = CollectivityFactory(name="Ambérieu-en-Bugey", code="01004", caf=world.caf)
    parsed = cafdata.parse(
        csv_file(COMMUNE_HEADER, [(2022, "1004", "Ambérieu", "1", "2", "3", "6")]),
        collectivities={"commune": {"01004": ain.pk}},
        department="01",
    )
    assert {v.collectivity_id for v in parsed.values} == {ain.pk}


def test_it_lists_bad_numbers_years_and_duplicates_with_their_line(territory):
    parsed = cafdata.parse(
        csv_file(
            COMMUNE_HEADER,
            [
                (2022, "82090", "Laguépie", "douze", "41,0", "1,5", "61,7"),
                ("deux mille", "82155", "Saint-Antonin", "1", "1", "1", "3"),
                (2022, "82121", "Montricoux", "5", "44", "0", "49"),
                (2022, "82121", "Montricoux", "5", "44", "0", "49"),
            ],
        ),
        collectivities=lookups(territory),
        department="82",
    )
    assert [error.message for error in parsed.errors] == [
        "Ligne 2 : txcouv_eaje_com : « douze » n'est pas un nombre",
        "Ligne 3 : l'année « deux mille » n'est pas un nombre entier",
        "Ligne 5 : doublon de la ligne 4 (même commune 82121, même année 2022)",
    ]


def test_it_reads_a_windows_1252_file_and_says_so(territory):
    content = csv_file(
        COMMUNE_HEADER, [(2022, "82090", "Laguépie", "1", "2", "3", "6")], encoding="cp1252"
    )
    parsed = cafdata.parse(content, collectivities=lookups(territory), department="82")
    assert parsed.values
    assert "Windows-1252" in parsed.encoding_note


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Le fichier est vide."),
        ("annee;numcom".encode("utf-16"), "caractères nuls"),
        (";".join(COMMUNE_HEADER).encode(), "aucune ligne de données"),
    ],
    ids=["vide", "utf-16", "en-tete-seul"],
)
def test_it_refuses_a_file_it_cannot_read_in_french(territory, content, message):
    with pytest.raises(cafdata.CafdataFileError, match=message):
        cafdata.parse(content, collectivities=lookups(territory), department="82")


def test_it_refuses_a_file_beyond_the_row_limit(territory):
    rows = [(2022, "82090", "Laguépie", "1", "2", "3", "6")] * 5
    with pytest.raises(cafdata.CafdataFileError, match="plus de 3 lignes"):
        cafdata.parse(
            csv_file(COMMUNE_HEADER, rows),
            collectivities=lookups(territory),
            department="82",
            max_rows=3,
        )


def test_every_series_of_the_registry_feeds_a_known_statistic():
    for dataset in cafdata.DATASETS:
        assert dataset.producer == "Cnaf — Cafdata"
        assert set(dataset.required) <= {s.column for s in dataset.series}
        for item in dataset.series:
            assert item.statistic in cafdata.DEFINITIONS
            assert cafdata.series(dataset.key, item.column) == item


# --- preview, confirmation, idempotence (views and services) ---------------------------


def test_the_preview_counts_values_per_convention_and_saves_nothing(territory, login):
    client = login(territory.caf_staff)
    response = upload(client, territory, commune_coverage(bom=True))
    assert response.status_code == 200
    page = response.content.decode()
    # Laguépie 2 years × 4 series, Saint-Antonin 2 × 3 (préscolarisation masked), Montricoux 4.
    assert "2 conventions, 18 valeurs nouvelles, 0 modifiée, 0 inchangée" in page
    assert "CTG des Deux Rives" in page and "CTG de Laguépie" in page
    assert "82999" in page and "Commune inconnue" in page
    assert "82XXX" in page
    assert "1 ligne de communes d'autres départements que le 82, ignorée." in page
    assert "4 valeurs concernent des collectivités de la Caf hors de toute convention" in page
    assert TerritoryStatistic.objects.count() == 0
    assert StatisticImport.objects.count() == 0


def test_it_imports_every_value_once_and_a_second_import_changes_nothing(territory, login):
    client = login(territory.caf_staff)
    preview = upload(client, territory, commune_coverage())
    result = confirm(client, territory, token_of(preview))
    assert result.status_code == 200
    assert "Import Cafdata terminé" in result.content.decode()
    assert TerritoryStatistic.objects.count() == 18
    assert values(territory.commune)[("taux-couverture", 2022)] == Decimal("61.70")
    assert values(territory.saint_antonin)[("taux-couverture", 2021)] == Decimal("47.00")
    record = StatisticImport.objects.get()
    assert (record.created_count, record.updated_count, record.unchanged_count) == (18, 0, 0)
    assert (record.dataset, record.vintage, record.conventions_count) == ("txcouv_pe_com", 2022, 2)
    assert record.producer == "Cnaf — Cafdata" and record.imported_by == territory.caf_staff
    imported = TerritoryStatistic.objects.filter(collectivity=territory.commune).first()
    assert imported.source_kind == TerritoryStatistic.SourceKind.OPEN_DATA
    assert imported.source_import == record
    assert imported.recorded_by == territory.caf_staff
    # The other Caf's commune of the same code prefix rules: nothing for Sorbiers.
    assert not TerritoryStatistic.objects.filter(collectivity=territory.other_commune).exists()

    again = upload(client, territory, commune_coverage(bom=True))
    page = again.content.decode()
    assert "Ce fichier ne change rien" in page
    assert 'name="token"' not in page
    assert TerritoryStatistic.objects.count() == 18
    assert StatisticImport.objects.count() == 1


def test_a_changed_figure_is_counted_as_modified(territory, login):
    client = login(territory.caf_staff)
    confirm(client, territory, token_of(upload(client, territory, commune_coverage())))
    corrected = commune_coverage().replace(b"61,7", b"62,7")
    preview = upload(client, territory, corrected)
    assert "0 valeur nouvelle, 1 modifiée, 17 inchangées" in preview.content.decode()
    confirm(client, territory, token_of(preview))
    assert values(territory.commune)[("taux-couverture", 2022)] == Decimal("62.70")
    history = TerritoryStatistic.objects.get(
        collectivity=territory.commune, statistic__code="taux-couverture", year=2022
    ).history.first()
    assert history.history_change_reason.startswith("Import Cafdata txcouv_pe_com")


def test_confirming_twice_imports_once(territory, login):
    client = login(territory.caf_staff)
    token = token_of(upload(client, territory, epci_coverage()))
    first = confirm(client, territory, token)
    second = confirm(client, territory, token)
    assert StatisticImport.objects.count() == 1
    assert TerritoryStatistic.objects.filter(collectivity=territory.epci).count() == 8
    assert "Import Cafdata terminé" in second.content.decode()
    assert "1 convention, 8 valeurs nouvelles" in first.content.decode()
    assert "1 convention, 8 valeurs nouvelles" in second.content.decode()


def test_the_service_returns_the_first_import_for_the_same_token(territory):
    parsed = cafdata.parse(epci_coverage(), collectivities=lookups(territory), department="82")
    arguments = dict(
        caf=territory.caf,
        dataset=parsed.dataset.key,
        filename="txcouv_pe_epci_hist.csv",
        values=parsed.values,
        user=territory.caf_staff,
        token="jeton-unique",
    )
    first = services.cafdata_import(**arguments)
    second = services.cafdata_import(**arguments)
    assert first.pk == second.pk
    assert TerritoryStatistic.objects.count() == 8


def test_bad_rows_block_the_import_and_nothing_is_saved(territory, login):
    client = login(territory.caf_staff)
    content = csv_file(
        COMMUNE_HEADER,
        [
            (2022, "82090", "Laguépie", "19,2", "41,0", "1,5", "61,7"),
            (2022, "82155", "Saint-Antonin", "1.234,5", "1", "1", "3"),
        ],
    )
    response = upload(client, territory, content)
    page = response.content.decode()
    assert "Le fichier ne peut pas être importé : 1 ligne en erreur." in page
    assert "Ligne 3" in page and "1.234,5" in page
    assert 'name="token"' not in page
    # A forged confirmation finds no preview.
    result = confirm(client, territory, "jeton-invente")
    assert "Cet aperçu a expiré ou a déjà été importé" in result.content.decode()
    assert TerritoryStatistic.objects.count() == 0
    assert StatisticImport.objects.count() == 0


def test_an_unrecognised_or_binary_file_gets_a_french_message(territory, login):
    client = login(territory.caf_staff)
    unknown = upload(client, territory, csv_file(("code", "valeur"), [("82090", "1")]))
    assert "pas reconnu comme un jeu de données Cafdata" in unknown.content.decode()
    binary = upload(client, territory, b"MZ\x90\x00binary", name="virus.csv")
    assert "Type de fichier non accepté" in binary.content.decode()
    assert TerritoryStatistic.objects.count() == 0


def test_the_import_feeds_the_diagnostic_of_every_convention_of_the_caf(territory, login):
    client = login(territory.caf_staff)
    before = {c.pk: c.data_version for c in Convention.objects.filter(caf=territory.caf)}
    confirm(client, territory, token_of(upload(client, territory, commune_coverage())))
    after = {c.pk: c.data_version for c in Convention.objects.filter(caf=territory.caf)}
    assert after[territory.convention.pk] > before[territory.convention.pk]
    assert after[territory.second_convention.pk] > before[territory.second_convention.pk]
    for convention in (territory.convention, territory.second_convention):
        page = client.get(reverse("diagnostics:detail", args=[convention.pk])).content.decode()
        assert "Taux de couverture en accueil formel" in page
        assert "Données ouvertes Cafdata 2021" in page
        assert "Données ouvertes Cafdata 2022" in page


def test_the_statistics_page_shows_the_source_of_each_value(territory, login):
    client = login(territory.caf_staff)
    TerritoryStatisticFactory(collectivity=territory.epci, year=2020, value=900)
    confirm(client, territory, token_of(upload(client, territory, epci_coverage())))
    page = client.get(
        reverse("diagnostics:statistics", args=[territory.convention.pk])
    ).content.decode()
    assert "Données ouvertes Cafdata 2022" in page
    assert "Cnaf — Cafdata — txcouv_pe_epci" in page
    assert ">Saisie</span>" in page  # the typed value of 2020
    assert "Importer un fichier Cafdata" in page


def test_missing_definitions_are_created_and_the_reference_rate_is_reused(territory):
    reference = statistic_definition("taux-couverture")
    parsed = cafdata.parse(epci_coverage(), collectivities=lookups(territory), department="82")
    services.cafdata_import(
        caf=territory.caf,
        dataset=parsed.dataset.key,
        filename="f.csv",
        values=parsed.values,
        user=None,
        token="t1",
    )
    rate = TerritoryStatistic.objects.get(
        collectivity=territory.epci, statistic__code="taux-couverture", year=2022
    )
    assert rate.statistic_id == reference.pk
    eaje = StatisticDefinition.objects.get(code="taux-couverture-eaje")
    assert eaje.thematic.code == "petite-enfance"
    assert eaje.unit == "places pour 100 enfants de moins de 3 ans"


# --- a value of the open data is not edited by hand ------------------------------------


def manual_post(client, world, **extra):
    data = {
        "collectivity": world.epci.pk,
        "statistic": statistic_definition("taux-couverture").pk,
        "year": 2022,
        "value": "60",
        "source": "Saisie Caf",
        **extra,
    }
    return client.post(reverse("diagnostics:statistics", args=[world.convention.pk]), data)


def test_it_refuses_a_manual_edit_of_an_open_data_value_without_a_reason(territory, login):
    client = login(territory.caf_staff)
    confirm(client, territory, token_of(upload(client, territory, epci_coverage())))
    refused = manual_post(client, territory)
    assert refused.status_code == 200
    assert "Cette valeur vient des données ouvertes Cafdata (2022)" in refused.content.decode()
    ticked_without_reason = manual_post(client, territory, replace_open_data="on")
    assert "Indiquez pourquoi vous remplacez" in ticked_without_reason.content.decode()
    reason_without_tick = manual_post(client, territory, override_reason="Correction locale")
    assert "Cette valeur vient des données ouvertes" in reason_without_tick.content.decode()
    kept = TerritoryStatistic.objects.get(
        collectivity=territory.epci, statistic__code="taux-couverture", year=2022
    )
    assert kept.value == Decimal("54.60") and kept.is_open_data


def test_it_replaces_an_open_data_value_with_a_reason_and_a_reimport_keeps_it(territory, login):
    client = login(territory.caf_staff)
    confirm(client, territory, token_of(upload(client, territory, epci_coverage())))
    response = manual_post(
        client,
        territory,
        replace_open_data="on",
        override_reason="Places du multi-accueil ouvert en 2022 non comptées",
    )
    assert response.status_code == 302
    row = TerritoryStatistic.objects.get(
        collectivity=territory.epci, statistic__code="taux-couverture", year=2022
    )
    assert row.value == Decimal("60") and row.is_override
    assert row.source_badge == "Saisie (remplace les données ouvertes)"
    assert row.recorded_by == territory.caf_staff
    assert row.history.first().history_change_reason == (
        "Remplace la valeur des données ouvertes : "
        "Places du multi-accueil ouvert en 2022 non comptées"
    )
    again = upload(client, territory, epci_coverage())
    assert "Ce fichier ne change rien" in again.content.decode()
    assert "dont 1 remplacée à la main, conservée" in again.content.decode()
    row.refresh_from_db()
    assert row.value == Decimal("60")


def test_a_spreadsheet_import_does_not_replace_an_open_data_value(territory, login):
    client = login(territory.caf_staff)
    confirm(client, territory, token_of(upload(client, territory, epci_coverage())))
    content = "200041614;taux-couverture;2022;70;Tableur\n200041614;allocataires;2022;5;\n"
    response = client.post(
        reverse("diagnostics:statistics_import", args=[territory.convention.pk]),
        {"file": SimpleUploadedFile("stats.csv", content.encode(), "text/csv")},
        follow=True,
    )
    assert "1 valeur(s) des données ouvertes conservée(s)" in response.content.decode()
    rate = TerritoryStatistic.objects.get(
        collectivity=territory.epci, statistic__code="taux-couverture", year=2022
    )
    assert rate.value == Decimal("54.60") and rate.is_open_data
    typed = TerritoryStatistic.objects.get(
        collectivity=territory.epci, statistic__code="allocataires"
    )
    assert typed.source_kind == TerritoryStatistic.SourceKind.SPREADSHEET


# --- who may import, and at what cost ------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_only_the_caf_staff_imports(territory, login, role):
    client = login(getattr(territory, role))
    assert upload(client, territory, commune_coverage()).status_code == 403
    assert TerritoryStatistic.objects.count() == 0


def test_another_caf_staff_does_not_reach_the_import(territory, login):
    client = login(territory.other_caf_staff)
    assert upload(client, territory, commune_coverage()).status_code == 404


def test_the_preview_costs_the_same_whatever_the_number_of_conventions(
    territory, login, django_assert_max_num_queries
):
    for index in range(6):
        convention = ConventionFactory(caf=territory.caf, name=f"CTG {index}")
        SignatoryFactory(convention=convention, collectivity=territory.montricoux)
        CollectivityFactory(
            kind=Collectivity.Kind.COMMUNE,
            name=f"Commune {index}",
            code=f"8220{index}",
            caf=territory.caf,
        )
    client = login(territory.caf_staff)
    with django_assert_max_num_queries(25):
        response = upload(client, territory, commune_coverage())
    assert "8 conventions, 18 valeurs nouvelles" in response.content.decode()


# --- the CSV guard of ctg.uploads -------------------------------------------------------


def test_the_csv_guard_reads_utf8_with_or_without_bom_and_windows_1252():
    from ctg import uploads

    assert uploads.decode_csv("numcom;nomcom\n82090;Laguépie\n".encode()).text.startswith("numcom")
    with_bom = uploads.decode_csv(b"\xef\xbb\xbf" + b"numcom;nomcom\n")
    assert with_bom.text == "numcom;nomcom\n" and with_bom.note == ""
    windows = uploads.decode_csv("numcom;nomcom\n82090;Laguépie\n".encode("cp1252"))
    assert "Laguépie" in windows.text and windows.encoding == "windows-1252"
    assert "CSV UTF-8" in windows.note


def test_the_csv_guard_refuses_nul_bytes_and_too_many_lines():
    from ctg import uploads

    with pytest.raises(uploads.CsvRefused, match="caractères nuls"):
        uploads.decode_csv(b"numcom\x00;nomcom\n")
    with pytest.raises(uploads.CsvRefused, match="plus de 2 lignes"):
        list(uploads.csv_lines("a\nb\nc\n", delimiter=";", max_rows=2))


def test_a_hostile_name_in_the_file_is_shown_as_text(territory, login):
    client = login(territory.caf_staff)
    content = csv_file(
        COMMUNE_HEADER,
        [
            (2022, "82090", "Laguépie", "1", "2", "3", "6"),
            (2022, "82998", "<script>alert(1)</script>", "1", "1", "1", "3"),
        ],
    )
    page = upload(client, territory, content).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("text", ["999999999999,995", "1e400", "1" * 40])
def test_it_refuses_a_value_too_large_even_once_rounded(territory, text):
    parsed = cafdata.parse(
        csv_file(COMMUNE_HEADER, [(2022, "82090", "Laguépie", text, "41,0", "1,5", "61,7")]),
        collectivities=lookups(territory),
        department="82",
    )
    assert [error.message for error in parsed.errors] == [
        f"Ligne 2 : txcouv_eaje_com : « {text[:40]} » "
        + ("n'est pas un nombre" if "e" in text else "est trop grand")
    ]
