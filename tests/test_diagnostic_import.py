"""Importing territory statistics from CSV and XLSX files."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from diagnostics import imports
from diagnostics.factories import TerritoryStatisticFactory
from diagnostics.models import StatisticDefinition, TerritoryStatistic
from diagnostics.services import reference_data_ensure


@pytest.fixture(autouse=True)
def _reference_data(db):
    """Thematics and statistic definitions, even after a test that flushed the database."""
    reference_data_ensure()


# --- pure parsing ------------------------------------------------------------------

LOOKUPS = {
    "collectivities": {"82090": 1, "200041614": 2, "01004": 3},
    "statistics": {"allocataires": 10, "taux-couverture": 11},
}


def parse_csv(text: str) -> imports.ParseResult:
    return imports.parse_rows(imports.read_csv(text.encode("utf-8")), **LOOKUPS)


def test_it_reads_french_numbers_and_skips_the_header():
    result = parse_csv(
        "code_collectivite;code_statistique;annee;valeur;source\n"
        "82090;allocataires;2022;1 234,5;Caf\n"
        "200041614;taux-couverture;2023;\u00a012,25;\n"
        "1004;allocataires;2023;-3;Insee\n"
    )
    assert result.errors == []
    assert [(r.collectivity_id, r.statistic_id, r.year, r.value) for r in result.rows] == [
        (1, 10, 2022, Decimal("1234.5")),
        (2, 11, 2023, Decimal("12.25")),
        (3, 10, 2023, Decimal("-3")),
    ]
    assert result.rows[0].line == 2
    assert result.rows[0].source == "Caf"


def test_it_reads_comma_separated_files_with_quoted_french_decimals():
    result = parse_csv('82090,allocataires,2022,"12,5",Caf\n')
    assert result.errors == []
    assert result.rows[0].value == Decimal("12.5")


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("12,5", Decimal("12.5")),
        ("1 234", Decimal("1234")),
        ("1\u202f234,75", Decimal("1234.75")),
        ("12.5", Decimal("12.5")),
        (7, Decimal(7)),
        (2.5, Decimal("2.5")),
        ("\u22124", Decimal("-4")),
    ],
)
def test_parse_decimal_accepts_french_and_plain_numbers(cell, expected):
    assert imports.parse_decimal(cell) == expected


@pytest.mark.parametrize("cell", ["", "douze", "1,234.5", "12,5 %", "1e3", True])
def test_parse_decimal_refuses_what_is_not_a_number(cell):
    with pytest.raises(ValueError):
        imports.parse_decimal(cell)


def test_it_lists_every_bad_row_with_its_line_and_reason_in_french():
    result = parse_csv(
        "code_collectivite;code_statistique;annee;valeur;source\n"
        "82090;allocataires;2022;1200;Caf\n"  # 2: good
        "99999;allocataires;2022;1200;Caf\n"  # 3: unknown collectivity
        "82090;inconnue;2022;1200;Caf\n"  # 4: unknown statistic
        "82090;allocataires;deux mille;1200;Caf\n"  # 5: year not a number
        "82090;allocataires;1850;1200;Caf\n"  # 6: year out of range
        "82090;taux-couverture;2022;douze;Caf\n"  # 7: value not a number
        "\n"  # 8: blank lines are ignored
        "82090;allocataires;2022;1300;Caf\n"  # 9: duplicate of line 2
        ";;;;\n"  # 10: blank
        "99999;x;;;\n"  # 11: several reasons on one line
    )
    messages = [e.message for e in result.errors]
    assert messages == [
        "Ligne 3 : collectivité inconnue pour cette convention (code « 99999 »)",
        "Ligne 4 : statistique inconnue (« inconnue »)",
        "Ligne 5 : l'année « deux mille » n'est pas un nombre entier",
        "Ligne 6 : l'année 1850 n'est pas comprise entre 1900 et 2100",
        "Ligne 7 : la valeur « douze » n'est pas un nombre",
        "Ligne 9 : doublon (ligne 2 : même collectivité, statistique et année)",
        "Ligne 11 : collectivité inconnue pour cette convention (code « 99999 ») ; "
        "statistique inconnue (« x ») ; l'année est vide ; la valeur est vide",
    ]


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_reads_every_sheet_of_an_xlsx_file_and_names_the_sheet_in_errors():
    content = _xlsx(
        {
            "2022": [
                ["Code collectivité", "Code statistique", "Année", "Valeur", "Source"],
                [82090, "allocataires", 2022, 1200, "Caf"],
                ["200041614", "taux-couverture", 2022.0, 14.5, None],
            ],
            "2023": [[82090, "allocataires", "2023", "abc", "Caf"]],
        }
    )
    result = imports.parse_rows(imports.read_xlsx(content), **LOOKUPS)
    assert [(r.sheet, r.line, r.value) for r in result.rows] == [
        ("2022", 2, Decimal("1200")),
        ("2022", 3, Decimal("14.5")),
    ]
    assert [e.message for e in result.errors] == [
        "Feuille « 2023 », ligne 1 : la valeur « abc » n'est pas un nombre"
    ]


def test_a_broken_xlsx_file_is_refused_as_a_whole():
    with pytest.raises(imports.ImportFileError, match="illisible"):
        imports.read_table(filename="stats.xlsx", content=b"not a zip file")


def test_the_template_has_the_expected_header():
    assert imports.template_csv() == ("code_collectivite;code_statistique;annee;valeur;source\r\n")
    assert parse_csv(imports.template_csv()).rows == []


# --- the import page ---------------------------------------------------------------


def url(world, name="diagnostics:statistics_import"):
    return reverse(name, args=[world.convention.pk])


def upload(client, world, name: str, content: bytes, **extra):
    return client.post(url(world), {"file": SimpleUploadedFile(name, content)}, **extra)


GOOD_CSV = (
    b"code_collectivite;code_statistique;annee;valeur;source\n"
    b"82090;allocataires;2022;1 200;Caf 2022\n"
    b"82090;allocataires;2023;1 250;Caf 2023\n"
    b"200041614;taux-couverture;2023;18,5;Caf 2023\n"
)


def test_a_good_csv_imports_every_row(world, login):
    response = upload(login(world.caf_staff), world, "stats.csv", GOOD_CSV, follow=True)
    assert "3 valeur(s) créée(s)" in response.content.decode()
    assert TerritoryStatistic.objects.count() == 3
    rate = TerritoryStatistic.objects.get(collectivity=world.epci)
    assert rate.value == Decimal("18.5")
    assert rate.statistic.code == "taux-couverture"


def test_a_good_xlsx_imports_every_row(world, login):
    content = _xlsx(
        {
            "Feuil1": [
                ["code_collectivite", "code_statistique", "annee", "valeur", "source"],
                ["82090", "allocataires", 2022, 1200, "Caf"],
                [200041614, "enfants-moins-3-ans", 2022, 85, "Insee"],
            ]
        }
    )
    response = upload(login(world.caf_staff), world, "stats.xlsx", content)
    assert response.status_code == 302
    assert TerritoryStatistic.objects.get(collectivity=world.epci).value == Decimal("85")
    assert TerritoryStatistic.objects.get(collectivity=world.commune).source == "Caf"


def test_a_file_with_bad_rows_imports_nothing_and_lists_each_error(world, login):
    content = (
        b"code_collectivite;code_statistique;annee;valeur;source\n"
        b"82090;allocataires;2022;1200;Caf\n"
        b"42302;allocataires;2022;1200;Caf\n"  # Sorbiers: outside the convention
        b"82090;nombre-de-chats;2022;3;Caf\n"
        b"82090;allocataires;20x2;1200;Caf\n"
        b"82090;allocataires;2023;beaucoup;Caf\n"
    )
    response = upload(login(world.caf_staff), world, "stats.csv", content)
    assert response.status_code == 200
    body = response.content.decode()
    assert "4 lignes en erreur" in body
    assert "Aucune valeur n&#x27;a été enregistrée" not in body  # literal template text
    assert "Aucune valeur n'a été enregistrée" in body
    assert "<strong>Ligne 3</strong> : collectivité inconnue pour cette convention" in body
    assert "<strong>Ligne 4</strong> : statistique inconnue (« nombre-de-chats »)" in body
    assert "<strong>Ligne 5</strong> : l&#x27;année « 20x2 » n&#x27;est pas un nombre entier" in (
        body
    )
    assert "<strong>Ligne 6</strong> : la valeur « beaucoup » n&#x27;est pas un nombre" in body
    assert TerritoryStatistic.objects.count() == 0


def test_reimporting_the_same_file_updates_instead_of_duplicating(world, login):
    client = login(world.caf_staff)
    upload(client, world, "stats.csv", GOOD_CSV)
    again = upload(client, world, "stats.csv", GOOD_CSV, follow=True)
    assert "0 valeur(s) créée(s), 0 mise(s) à jour, 3 inchangée(s)" in again.content.decode()
    changed = GOOD_CSV.replace(b"1 250;Caf 2023", b"1 260;Caf 2023 (r\xc3\xa9vis\xc3\xa9)")
    third = upload(client, world, "stats.csv", changed, follow=True)
    assert "0 valeur(s) créée(s), 1 mise(s) à jour, 2 inchangée(s)" in third.content.decode()
    assert TerritoryStatistic.objects.count() == 3
    row = TerritoryStatistic.objects.get(collectivity=world.commune, year=2023)
    assert row.value == Decimal("1260")
    assert row.source == "Caf 2023 (révisé)"


def test_a_reimport_updates_a_value_entered_by_form(world, login):
    TerritoryStatisticFactory(
        collectivity=world.commune,
        statistic=StatisticDefinition.objects.get(code="allocataires"),
        year=2022,
        value=1,
    )
    upload(login(world.caf_staff), world, "stats.csv", GOOD_CSV)
    assert TerritoryStatistic.objects.count() == 3
    assert TerritoryStatistic.objects.get(collectivity=world.commune, year=2022).value == Decimal(
        "1200"
    )


@pytest.mark.parametrize("name", ["stats.txt", "stats.xls", "stats.pdf", "stats"])
def test_it_refuses_other_file_types(world, login, name):
    response = upload(login(world.caf_staff), world, name, GOOD_CSV)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Type de fichier non accepté : seuls les fichiers CSV et XLSX sont acceptés." in page
    assert TerritoryStatistic.objects.count() == 0


def test_it_refuses_a_file_over_five_megabytes(world, login):
    big = GOOD_CSV + b"\n" * (5 * 1024 * 1024)
    response = upload(login(world.caf_staff), world, "stats.csv", big)
    assert "Fichier trop volumineux (max 5 Mo)." in response.content.decode()
    assert TerritoryStatistic.objects.count() == 0


def test_it_refuses_a_broken_xlsx_file(world, login):
    response = upload(login(world.caf_staff), world, "stats.xlsx", b"PK\x03\x04 broken")
    assert "Le fichier XLSX est illisible ou endommagé." in response.content.decode()


def test_it_says_when_the_file_has_no_data(world, login):
    response = upload(login(world.caf_staff), world, "stats.csv", imports.template_csv().encode())
    assert "Le fichier ne contient aucune ligne de données." in response.content.decode()


def test_it_asks_for_a_file(world, login):
    response = login(world.caf_staff).post(url(world), {})
    assert "Choisissez un fichier à importer." in response.content.decode()


def test_the_import_page_lists_the_codes_to_use(world, login):
    body = login(world.caf_staff).get(url(world)).content.decode()
    assert "<code>82090</code>" in body
    assert "<code>200041614</code>" in body
    assert "<code>taux-couverture</code>" in body
    assert "42302" not in body


def test_caf_staff_download_the_csv_template(world, login):
    response = login(world.caf_staff).get(url(world, "diagnostics:statistics_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().splitlines() == [
        "code_collectivite;code_statistique;annee;valeur;source"
    ]


@pytest.mark.parametrize("role", ["coordinator", "elected", "member_caf"])
def test_it_refuses_an_import_from_readers(world, login, role):
    response = upload(login(getattr(world, role)), world, "stats.csv", GOOD_CSV)
    assert response.status_code == 403
    assert TerritoryStatistic.objects.count() == 0


@pytest.mark.parametrize("role", ["other_caf_staff", "outsider"])
def test_an_import_out_of_scope_is_404(world, login, role):
    response = upload(login(getattr(world, role)), world, "stats.csv", GOOD_CSV)
    assert response.status_code == 404
    assert TerritoryStatistic.objects.count() == 0
