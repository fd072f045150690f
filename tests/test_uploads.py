"""Import uploads: CSV and XLSX only, checked by name and by content, 5 MB at most."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook

from conventions.models import Collectivity
from ctg import uploads
from diagnostics.models import TerritoryStatistic
from evaluation.indicator_views import SESSION_KEY
from evaluation.models import Measurement

#: The start of a Windows executable (DOS header), padded as a real one is.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 8
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
TYPE_CSV_XLSX = "Type de fichier non accepté : seuls les fichiers CSV et XLSX sont acceptés."
TYPE_CSV = "Type de fichier non accepté : seuls les fichiers CSV sont acceptés."
TYPE_XLSX = "Type de fichier non accepté : seuls les fichiers XLSX sont acceptés."
TOO_BIG = "Fichier trop volumineux (max 5 Mo)."

STAT_CSV = (
    b"code_collectivite;code_statistique;annee;valeur;source\n"
    b"82090;allocataires;2022;1 200;Caf 2022\n"
)


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["code_collectivite", "code_statistique", "annee", "valeur", "source"])
    wb.active.append(["82090", "allocataires", 2022, 1200, "Caf 2022"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def docx_like_zip() -> bytes:
    """A valid ZIP that is not a workbook (a Word file, a jar, an archive of anything)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("payload.exe", EXE)
    return buffer.getvalue()


def refusal(data: bytes, name: str, accepted=(uploads.CSV, uploads.XLSX)) -> str:
    with pytest.raises(ValidationError) as error:
        uploads.validate_import_file(SimpleUploadedFile(name, data), accepted=accepted)
    return " ".join(error.value.messages)


# --- The validator ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["evil.csv", "evil.xlsx", "EVIL.CSV", "rapport.exe"])
@pytest.mark.parametrize("data", [EXE, ELF], ids=["exe", "elf"])
def test_a_renamed_executable_is_refused(name, data):
    assert refusal(data, name) == TYPE_CSV_XLSX


@pytest.mark.parametrize(
    "name, data",
    [
        ("classeur.xlsx", docx_like_zip()),  # a ZIP, but no xl/workbook.xml
        ("donnees.csv", xlsx_bytes()),  # a workbook renamed .csv
        ("donnees.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
        ("donnees.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),  # old .xls
        ("donnees.csv", b"code;nom\n82090;Lagu\x00pie\n"),  # a NUL byte
        ("donnees.xlsx", b"code;nom\n82090;Laguepie\n"),  # text renamed .xlsx
        ("donnees.xls", xlsx_bytes()),
        ("donnees.txt", STAT_CSV),
        ("donnees", STAT_CSV),
        ("donnees.csv.exe", STAT_CSV),
    ],
)
def test_a_file_whose_name_or_content_is_not_csv_or_xlsx_is_refused(name, data):
    assert refusal(data, name) == TYPE_CSV_XLSX


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("stats.csv", STAT_CSV, "csv"),
        ("stats.CSV", "\ufeffcode;nom\n82090;Laguépie\n".encode(), "csv"),  # UTF-8 with BOM
        ("stats.csv", "code;nom\n82090;Laguépie\n".encode("latin-1"), "csv"),
        ("stats.csv", b'code,nom\r\n82090,"Lagu\xc3\xa9pie"\r\n', "csv"),
        ("stats.xlsx", xlsx_bytes(), "xlsx"),
        # A damaged archive goes on: the parser answers "illisible ou endommagé".
        ("stats.xlsx", b"PK\x03\x04 broken", "xlsx"),
    ],
)
def test_real_csv_and_xlsx_files_are_accepted(name, data, kind):
    upload = SimpleUploadedFile(name, data)
    assert uploads.validate_import_file(upload) == kind
    assert upload.read() == data  # the validator leaves the file readable from its start


def test_an_import_may_narrow_the_accepted_kinds():
    assert refusal(xlsx_bytes(), "stats.xlsx", accepted=(uploads.CSV,)) == TYPE_CSV
    assert refusal(STAT_CSV, "stats.csv", accepted=(uploads.XLSX,)) == TYPE_XLSX


def test_a_file_over_five_megabytes_is_refused_before_its_content_is_read():
    big = STAT_CSV + b"1" * (5 * 1024 * 1024)
    assert refusal(big, "stats.csv") == TOO_BIG
    exactly = SimpleUploadedFile("stats.csv", b"x" * (5 * 1024 * 1024))
    assert uploads.validate_import_file(exactly) == "csv"


@override_settings(MAX_IMPORT_SIZE=2 * 1024 * 1024)
def test_the_limit_comes_from_the_settings():
    assert refusal(b"a;b\n" * (600 * 1024), "stats.csv") == "Fichier trop volumineux (max 2 Mo)."


# --- Every import form uses it; nothing is saved --------------------------------------------


@pytest.mark.parametrize("name", ["evil.csv", "evil.xlsx"])
def test_the_statistics_import_refuses_a_renamed_executable(world, login, name):
    client = login(world.caf_staff)
    url = reverse("diagnostics:statistics_import", args=[world.convention.pk])
    response = client.post(url, {"file": SimpleUploadedFile(name, EXE)})
    assert response.status_code == 200
    assert TYPE_CSV_XLSX in response.content.decode()
    assert TerritoryStatistic.objects.count() == 0
    # The same form takes a real CSV.
    good = client.post(url, {"file": SimpleUploadedFile("stats.csv", STAT_CSV)})
    assert TYPE_CSV_XLSX not in good.content.decode()
    assert TerritoryStatistic.objects.count() == 1


@pytest.mark.parametrize("name", ["communes.csv", "communes.xlsx"])
def test_the_collectivity_import_refuses_a_renamed_executable(world, login, name):
    before = Collectivity.objects.count()
    response = login(world.caf_staff).post(
        reverse("conventions:collectivity_import"), {"file": SimpleUploadedFile(name, EXE)}
    )
    assert response.status_code == 200
    assert TYPE_CSV in response.content.decode()
    assert Collectivity.objects.count() == before


@pytest.mark.parametrize(
    "name, data", [("mesures.xlsx", EXE), ("mesures.xlsx", docx_like_zip()), ("m.csv", EXE)]
)
def test_the_measurement_workbook_import_refuses_what_is_not_a_workbook(world, login, name, data):
    client = login(world.caf_staff)
    response = client.post(
        reverse("evaluation:workbook_upload", args=[world.convention.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200
    assert TYPE_XLSX in response.content.decode()
    assert "token" not in response.context or not response.context["token"]
    assert not client.session.get(SESSION_KEY)
    assert Measurement.objects.count() == 0


def test_the_measurement_workbook_import_refuses_a_file_over_the_limit(world, login):
    response = login(world.caf_staff).post(
        reverse("evaluation:workbook_upload", args=[world.convention.pk]),
        {"file": SimpleUploadedFile("mesures.xlsx", b"PK\x03\x04" + b"0" * (5 * 1024 * 1024))},
    )
    assert TOO_BIG in response.content.decode()
    assert Measurement.objects.count() == 0


@pytest.mark.parametrize("content", [b"", b"  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n"])
def test_a_csv_with_nothing_but_a_byte_order_mark_is_refused_as_empty(content):
    """A BOM alone (an empty sheet saved as « CSV UTF-8 ») is an empty file, not a crash of
    the readers that look at the first line (found by the hostile-input exploration)."""
    from ctg.uploads import CsvRefused, decode_csv
    from diagnostics.imports import ImportFileError, read_csv

    with pytest.raises(CsvRefused, match="Le fichier est vide."):
        decode_csv(content)
    with pytest.raises(ImportFileError, match="Le fichier est vide."):
        read_csv(content)
