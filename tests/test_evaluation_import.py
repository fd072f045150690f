"""The measurement workbook: download pre-filled, parse, preview, confirm, import."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from actions.factories import ActionSheetFactory, ObjectiveFactory
from evaluation import imports
from evaluation.factories import IndicatorFactory, MeasurementFactory
from evaluation.models import Indicator, Measurement

START, END = datetime.date(2022, 1, 1), datetime.date(2025, 12, 31)


# ------------------------------------------------------------ pure functions


def test_period_ends_follow_the_calendar_and_clip_to_the_period():
    assert imports.period_ends(START, END, "yearly") == [
        datetime.date(y, 12, 31) for y in (2022, 2023, 2024, 2025)
    ]
    assert imports.period_ends(
        datetime.date(2021, 12, 15), datetime.date(2022, 7, 31), "half_yearly"
    ) == [datetime.date(2021, 12, 31), datetime.date(2022, 6, 30), datetime.date(2022, 7, 31)]
    assert len(imports.period_ends(START, END, "quarterly")) == 16
    assert imports.period_ends(START, END, "monthly")[1] == datetime.date(2022, 2, 28)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (12, "12"),
        (12.5, "12.5"),
        ("12,5", "12.5"),
        (" 1 234,56 ", "1234.56"),
        ("-3", "-3"),
        ("0,333", "0.33"),
        ("1\u202f000", "1000"),
    ],
)
def test_numbers_accept_a_decimal_comma_and_spaces(raw, expected):
    assert imports.parse_number(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["douze", "12,5,3", "1e5", True, "12 %"])
def test_non_numbers_are_refused_in_french(raw):
    with pytest.raises(ValueError, match="n'est pas un nombre"):
        imports.parse_number(raw)


def workbook(rows, *, headers=None, sheet="Mesures") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers or list(imports.FIXED_HEADERS) + ["2022-12-31", "2023-12-31"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def parse(data, ids=(1, 2)):
    return imports.parse_workbook(data, indicator_ids=ids, start=START, end=END)


def test_a_good_sheet_gives_every_value():
    result = parse(
        workbook(
            [[1, "FA-01", "Places", "", 10, 20, 12, "13,5"], [2, "FA-02", "X", "", 0, 5, None, 4]]
        )
    )
    assert result.ok
    assert [(v.indicator_id, v.date, v.value, v.column) for v in result.values] == [
        (1, datetime.date(2022, 12, 31), Decimal("12"), "G"),
        (1, datetime.date(2023, 12, 31), Decimal("13.5"), "H"),
        (2, datetime.date(2023, 12, 31), Decimal("4"), "H"),
    ]


def test_a_missing_sheet_is_reported():
    result = parse(workbook([], sheet="Feuil1"))
    assert [str(e) for e in result.errors] == [
        "Le classeur ne contient pas de feuille « Mesures » (feuilles trouvées : Feuil1)."
    ]


def test_a_file_that_is_not_a_workbook_is_reported():
    result = parse(b"id;valeur\n1;2\n")
    assert "n'est pas un classeur Excel (.xlsx) lisible" in str(result.errors[0])


def test_renamed_columns_are_reported_with_their_letter():
    headers = ["id", "Fiche / objectif", "Intitulé", "Unité", "Référence", "Cible", "2022-12-31"]
    result = parse(workbook([[1, "", "", "", 1, 2, 3]], headers=headers))
    messages = [str(e) for e in result.errors]
    assert messages == [
        "Feuille « Mesures », ligne 1, colonne A : l'en-tête devrait être « Clé (ne pas modifier) », trouvé « id ».",
        "Feuille « Mesures », ligne 1, colonne C : l'en-tête devrait être « Indicateur », trouvé « Intitulé ».",
    ]


def test_every_bad_cell_is_reported_with_sheet_row_column_and_reason():
    headers = list(imports.FIXED_HEADERS) + ["2023-12-31", "2030-12-31", "fin 2024"]
    result = parse(
        workbook(
            [
                [1, "", "", "", 10, 20, "abc", 5, 6],
                [999, "", "", "", 0, 1, 3],
                [None, "", "", "", None, None, 7],
                [1, "", "", "", 10, 20, 4],
            ],
            headers=headers,
        )
    )
    messages = [str(e) for e in result.errors]
    assert messages == [
        "Feuille « Mesures », ligne 1, colonne H : la date 31 décembre 2030 est en dehors de la "
        "période de la convention (du 1er janvier 2022 au 31 décembre 2025).",
        "Feuille « Mesures », ligne 1, colonne I : l'en-tête « fin 2024 » n'est pas une date au "
        "format JJ/MM/AAAA.",
        "Feuille « Mesures », ligne 2, colonne G : « abc » n'est pas un nombre (exemple : 12,5).",
        "Feuille « Mesures », ligne 3, colonne A : l'indicateur de clé 999 n'appartient pas à "
        "cette convention (ou a été supprimé) : téléchargez à nouveau le classeur.",
        "Feuille « Mesures », ligne 4, colonne A : valeurs saisies sur une ligne qui n'est pas "
        "celle d'un indicateur du classeur (sa clé, en colonne A masquée, est vide) : "
        "saisissez-les sur la ligne de l'indicateur.",
        "Feuille « Mesures », ligne 5, colonne A : l'indicateur de clé 1 figure déjà ligne 2.",
    ]


def test_empty_rows_are_ignored():
    result = parse(
        workbook([[None] * 8, [1, "", "", "", 1, 2, None, None], ["", "", "", "", "", ""]])
    )
    assert result.ok and result.values == []


# ------------------------------------------------------------ the pages


@pytest.fixture
def indicators(world):
    sheet = ActionSheetFactory(convention=world.convention, number="FA-01", title="Crèche")
    yearly = IndicatorFactory(
        action_sheet=sheet, name="Places", baseline_date=START, target_date=END
    )
    half = IndicatorFactory(
        action_sheet=None,
        objective=ObjectiveFactory(convention=world.convention, title="Mieux accueillir"),
        name="Familles reçues",
        baseline_date=START,
        target_date=END,
        frequency=Indicator.Frequency.HALF_YEARLY,
    )
    MeasurementFactory(indicator=yearly, date=datetime.date(2022, 12, 31), value=11)
    return yearly, half


def download(client, world):
    response = client.get(reverse("evaluation:workbook", args=[world.convention.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
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


def confirm(client, world, response):
    token = response.context["token"]
    return client.post(
        reverse("evaluation:workbook_confirm", args=[world.convention.pk]), {"token": token}
    )


def test_the_download_has_one_row_per_indicator_and_one_column_per_period(world, login, indicators):
    yearly, half = indicators
    ws = download(login(world.coordinator), world)["Mesures"]
    header = [c.value for c in ws[1]]
    assert header[:6] == list(imports.FIXED_HEADERS)
    # Half-yearly periods include the yearly ones; their ends as French dates (text titles).
    assert header[6:] == [f"{d:%d/%m/%Y}" for d in imports.period_ends(START, END, "half_yearly")]
    assert header[6:9] == ["30/06/2022", "31/12/2022", "30/06/2023"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    # The key of each row is the indicator's id, in a hidden column: a person reads the
    # fiche's number and title and the indicator's name, never an internal number.
    assert ws.column_dimensions["A"].hidden
    assert [r[0] for r in rows] == [yearly.pk, half.pk]
    assert rows[0][1] == "FA-01 — Crèche" and rows[0][2] == "Places"
    assert rows[1][1] == "Objectif : Mieux accueillir"
    assert rows[0][header.index("31/12/2022")] == 11  # pre-filled, a number
    # Figures are numbers, not text.
    for row in ws.iter_rows(min_row=2, max_col=6):
        assert all(cell.data_type == "n" for cell in row[4:6])
    assert ws.cell(row=2, column=header.index("31/12/2022") + 1).data_type == "n"


def test_a_good_file_is_previewed_then_imported_on_confirmation(world, login, indicators):
    yearly, half = indicators
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb["Mesures"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("31/12/2022") + 1, value=12)  # changed
    ws.cell(row=2, column=header.index("31/12/2023") + 1, value="14,5")  # new
    ws.cell(row=3, column=header.index("30/06/2022") + 1, value=3)  # new
    preview = upload(client, world, to_bytes(wb))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Valeurs nouvelles (2)" in html and "Valeurs modifiées (1)" in html
    assert Measurement.objects.count() == 1  # nothing written yet
    assert Measurement.objects.get().value == 11

    done = confirm(client, world, preview)
    assert done.status_code == 302
    values = {(m.indicator_id, m.date): m.value for m in Measurement.objects.all()}
    assert values == {
        (yearly.pk, datetime.date(2022, 12, 31)): Decimal("12"),
        (yearly.pk, datetime.date(2023, 12, 31)): Decimal("14.5"),
        (half.pk, datetime.date(2022, 6, 30)): Decimal("3"),
    }
    assert Measurement.objects.filter(entered_by=world.caf_staff).count() == 3
    # The token is spent: a second confirmation imports nothing more.
    again = client.post(
        reverse("evaluation:workbook_confirm", args=[world.convention.pk]),
        {"token": preview.context["token"]},
    )
    assert again.status_code == 302 and Measurement.objects.count() == 3


def test_uploading_the_same_file_twice_changes_nothing(world, login, indicators):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb["Mesures"]
    ws.cell(row=2, column=8, value=15)
    data = to_bytes(wb)
    confirm(client, world, upload(client, world, data))
    before = list(Measurement.objects.order_by("pk").values_list("pk", "value", "entered_at"))
    second = upload(client, world, data)
    assert "ne change aucune mesure" in second.content.decode()
    confirm(client, world, second)
    after = list(Measurement.objects.order_by("pk").values_list("pk", "value", "entered_at"))
    assert before == after


def test_a_bad_file_creates_nothing_and_lists_every_bad_cell(world, login, indicators):
    client = login(world.caf_staff)
    wb = download(client, world)
    ws = wb["Mesures"]
    ws.cell(row=2, column=8, value=15)  # a good value…
    ws.cell(row=3, column=8, value="n/a")  # …and a bad one
    ws.append([424242, "", "", "", 1, 2, 5])
    response = upload(client, world, to_bytes(wb))
    html = response.content.decode()
    assert "2 erreurs à corriger. Aucune mesure n'a été enregistrée." in html
    assert "ligne 3, colonne H : « n/a » n&#x27;est pas un nombre" in html
    assert "ligne 4, colonne A : l&#x27;indicateur de clé 424242 n&#x27;appartient pas" in html
    assert Measurement.objects.count() == 1


def test_a_workbook_without_the_sheet_is_refused(world, login, indicators):
    response = upload(login(world.caf_staff), world, workbook([], sheet="Feuil1"))
    assert "ne contient pas de feuille « Mesures »" in response.content.decode()


def test_a_file_that_is_not_xlsx_is_refused_by_the_form(world, login, indicators):
    response = login(world.caf_staff).post(
        reverse("evaluation:workbook_upload", args=[world.convention.pk]),
        {"file": SimpleUploadedFile("mesures.csv", b"a;b")},
    )
    page = response.content.decode()
    assert "Type de fichier non accepté : seuls les fichiers XLSX sont acceptés." in page


def test_an_unknown_token_is_refused_clearly(world, login, indicators):
    client = login(world.caf_staff)
    response = client.post(
        reverse("evaluation:workbook_confirm", args=[world.convention.pk]),
        {"token": "inconnu"},
        follow=True,
    )
    assert "Cet aperçu a expiré ou a déjà été importé." in response.content.decode()


@pytest.mark.parametrize("role", ["elected", "member_caf"])
def test_readers_cannot_download_or_import(world, login, indicators, role):
    client = login(getattr(world, role))
    assert client.get(reverse("evaluation:workbook", args=[world.convention.pk])).status_code == 403
    assert (
        client.get(reverse("evaluation:workbook_upload", args=[world.convention.pk])).status_code
        == 403
    )
    assert (
        client.post(
            reverse("evaluation:workbook_confirm", args=[world.convention.pk]), {"token": "x"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["outsider", "other_caf_staff"])
def test_the_workbook_is_404_out_of_scope(world, login, indicators, role):
    client = login(getattr(world, role))
    assert client.get(reverse("evaluation:workbook", args=[world.convention.pk])).status_code == 404


def test_a_workbook_downloaded_before_still_imports(world, login, indicators):
    """Column A titled « N° indicateur » and ISO dates as titles: the former layout."""
    yearly, half = indicators
    headers = [imports.LEGACY_KEY_HEADER, *imports.FIXED_HEADERS[1:], "2022-12-31", "2023-06-30"]
    data = workbook(
        [[yearly.pk, "", "", "", 0, 10, 12], [half.pk, "", "", "", 0, 5, None, 3]], headers=headers
    )
    client = login(world.caf_staff)
    confirm(client, world, upload(client, world, data))
    values = {(m.indicator_id, m.date): m.value for m in Measurement.objects.all()}
    assert values == {
        (yearly.pk, datetime.date(2022, 12, 31)): Decimal("12"),
        (half.pk, datetime.date(2023, 6, 30)): Decimal("3"),
    }


def test_french_dates_typed_as_titles_or_date_cells_are_read():
    headers = [*imports.FIXED_HEADERS, "31/12/2022", datetime.datetime(2023, 12, 31)]
    result = parse(workbook([[1, "", "", "", 0, 1, 4, 5]], headers=headers))
    assert result.ok
    assert [(v.date, v.value) for v in result.values] == [
        (datetime.date(2022, 12, 31), Decimal("4")),
        (datetime.date(2023, 12, 31), Decimal("5")),
    ]


def test_the_declared_dimensions_of_a_sheet_are_not_trusted():
    """A sheet claiming to span A1:XFD1048576 would give rows 16 384 cells wide."""
    data = workbook([[1, "", "", "", 0, 1, 4]])
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', sheet
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    result = parse(out.getvalue())
    assert result.ok and [v.value for v in result.values] == [Decimal("4")]
