"""An XLSX "shared strings" bomb never reaches openpyxl (issue #19).

A 361 KB workbook unpacking to 106 MB of XML (a million shared strings) kept a worker
busy 46 s and grew it by 250 MB. ``ctg.uploads.check_xlsx_archive`` now reads the
archive's central directory before any parser opens the file, and the readers
decompress it once through a bounded counter: the bomb is refused in French, in well
under a second, without the worker growing, and nothing is saved.

Run with ``-s`` to see the time and memory figures measured.
"""

import io
import resource
import struct
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from actions.factories import ActionSheetFactory
from ctg import uploads
from diagnostics import imports as statistic_imports
from diagnostics.models import TerritoryStatistic
from evaluation import imports as measurement_imports
from evaluation.factories import IndicatorFactory
from evaluation.indicator_views import SESSION_KEY
from evaluation.models import Measurement

TOO_LARGE = "Ce fichier est trop volumineux une fois décompressé"
UNREADABLE_STATS = "Le fichier XLSX est illisible ou endommagé."
UNREADABLE_MEASURES = "Le fichier n'est pas un classeur Excel (.xlsx) lisible."
MAX_SECONDS = 1.0
MAX_GROWTH_MB = 50

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="{PACKAGE}/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}/relationships">
<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>
<sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PACKAGE}/relationships">
<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
SHEET = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN}"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"""


def workbook_zip(sheet_name: str, shared_strings: int, text: bytes = b"x" * 90) -> bytes:
    """A valid workbook whose shared-strings table holds ``shared_strings`` copies of
    ``text``: a million 90-character strings are 106 MB of XML, a few hundred KB deflated
    (written in chunks: the bomb is never whole in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK % sheet_name)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", SHEET)
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" '
                f'count="{shared_strings}" uniqueCount="{shared_strings}">'.encode()
            )
            item = b"<si><t>" + text + b"</t></si>"
            batch = 10_000
            for done in range(0, shared_strings, batch):
                part.write(item * min(batch, shared_strings - done))
            part.write(b"</sst>")
    return out.getvalue()


def lying(data: bytes, name: str = "xl/sharedStrings.xml", size: int = 4096) -> bytes:
    """The same archive whose headers (local and central) claim ``name`` unpacks to
    ``size`` bytes: every check on the headers alone passes."""
    data = bytearray(data)
    encoded = name.encode()
    offset = 0
    while (offset := data.find(b"PK\x03\x04", offset)) != -1:
        name_length = struct.unpack_from("<H", data, offset + 26)[0]
        if bytes(data[offset + 30 : offset + 30 + name_length]) == encoded:
            struct.pack_into("<I", data, offset + 22, size)
        offset += 4
    offset = 0
    while (offset := data.find(b"PK\x01\x02", offset)) != -1:
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if bytes(data[offset + 46 : offset + 46 + name_length]) == encoded:
            struct.pack_into("<I", data, offset + 24, size)
        offset += 4
    return bytes(data)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = workbook_zip(measurement_imports.SHEET_NAME, 1_000_000)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert info.file_size > 100 * 1024 * 1024  # 106 MB of XML…
    assert len(data) < 1024 * 1024  # …in a file well under the 5 MB upload limit
    return data


# --- measuring ----------------------------------------------------------------------------


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Measure:
    """Wall time and peak memory growth of the block.

    The peak (VmHWM, as ``ru_maxrss``) is a high-water mark: building the bomb or an
    earlier test may have raised it already, hiding the block's own growth. It is reset
    first (``/proc/self/clear_refs``), so that the peak after the block minus the
    resident size before it is what the block itself cost; without that file the
    growth of ``ru_maxrss`` is used (it can only under-estimate).
    """

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as clear:
                clear.write("5")
            self.reset = True
        except OSError:
            self.reset = False
        self.rss_before = _status_kb("VmRSS")
        self.maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        if self.reset and self.rss_before is not None:
            growth_kb = _status_kb("VmHWM") - self.rss_before
        else:
            growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.maxrss_before
        self.growth_mb = max(growth_kb, 0) / 1024
        return False

    def report(self, what: str) -> str:
        method = "pic VmHWM remis à zéro" if self.reset else "ru_maxrss"
        line = f"{what} : {self.seconds * 1000:.0f} ms, +{self.growth_mb:.1f} Mo ({method})"
        print(f"\n[bombe XLSX] {line}")
        return line


def check_fast_and_small(measure: Measure) -> None:
    assert measure.seconds < MAX_SECONDS, f"{measure.seconds:.2f} s"
    assert measure.growth_mb < MAX_GROWTH_MB, f"+{measure.growth_mb:.0f} MB"


# --- through the real upload views --------------------------------------------------------------


@pytest.fixture
def indicator(world):
    return IndicatorFactory(action_sheet=ActionSheetFactory(convention=world.convention))


def test_the_measurement_upload_refuses_the_bomb_fast_and_small(world, login, indicator, bomb):
    client = login(world.coordinator)
    url = reverse("evaluation:workbook_upload", args=[world.convention.pk])
    upload = SimpleUploadedFile("mesures.xlsx", bomb)
    with Measure() as measure:
        response = client.post(url, {"file": upload})
    measure.report(f"import des mesures, {len(bomb) // 1024} Ko → 106 Mo de XML")
    assert response.status_code == 200
    assert TOO_LARGE in response.content.decode()
    assert not response.context.get("token")
    assert not client.session.get(SESSION_KEY)
    assert Measurement.objects.count() == 0
    check_fast_and_small(measure)


def test_the_statistics_upload_refuses_the_bomb_fast_and_small(world, login, bomb):
    client = login(world.caf_staff)
    url = reverse("diagnostics:statistics_import", args=[world.convention.pk])
    upload = SimpleUploadedFile("statistiques.xlsx", bomb)
    with Measure() as measure:
        response = client.post(url, {"file": upload})
    measure.report(f"import des statistiques, {len(bomb) // 1024} Ko → 106 Mo de XML")
    assert response.status_code == 200
    assert TOO_LARGE in response.content.decode()
    assert TerritoryStatistic.objects.count() == 0
    check_fast_and_small(measure)


# --- the readers check it themselves (they may be called without the form) -------------------


def test_both_readers_refuse_the_bomb_before_openpyxl_opens_it(bomb):
    with Measure() as measure:
        parsed = measurement_imports.parse_workbook(
            bomb,
            indicator_ids=[1],
            start=measurement_imports.datetime.date(2022, 1, 1),
            end=measurement_imports.datetime.date(2025, 12, 31),
        )
        with pytest.raises(statistic_imports.ImportFileError, match=TOO_LARGE):
            statistic_imports.read_xlsx(bomb)
    measure.report("les deux lecteurs appelés directement")
    assert not parsed.values and TOO_LARGE in str(parsed.errors[0])
    check_fast_and_small(measure)


def test_headers_that_lie_about_the_size_do_not_get_past(world, login, indicator, bomb):
    """The headers claim 4 KB: the checks on the central directory pass, the bounded
    read does not trust them (zipfile stops at the declared size, then fails on the
    CRC): refused as damaged, fast, nothing saved."""
    liar = lying(bomb)
    info = zipfile.ZipFile(io.BytesIO(liar)).getinfo("xl/sharedStrings.xml")
    assert info.file_size == 4096
    uploads.check_xlsx_archive(liar)  # the central directory alone is fooled
    with pytest.raises(uploads.UnreadableSpreadsheet):
        uploads.check_xlsx_archive(liar, stream=True)
    client = login(world.coordinator)
    with Measure() as measure:
        response = client.post(
            reverse("evaluation:workbook_upload", args=[world.convention.pk]),
            {"file": SimpleUploadedFile("mesures.xlsx", liar)},
        )
        stats = login(world.caf_staff).post(
            reverse("diagnostics:statistics_import", args=[world.convention.pk]),
            {"file": SimpleUploadedFile("statistiques.xlsx", liar)},
        )
    measure.report("en-têtes menteurs (4 Ko annoncés)")
    assert UNREADABLE_MEASURES.replace("'", "&#x27;") in response.content.decode()
    assert UNREADABLE_STATS in stats.content.decode()
    assert Measurement.objects.count() == 0 and TerritoryStatistic.objects.count() == 0
    check_fast_and_small(measure)


# --- the other bounds ---------------------------------------------------------------------------


def refusal(data: bytes, *, stream: bool = True) -> str:
    with pytest.raises(uploads.SpreadsheetRefused) as error:
        uploads.check_xlsx_archive(data, stream=stream)
    return str(error.value)


def plain_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_real_workbook_passes():
    wb = Workbook()
    for row in range(500):
        wb.active.append([f"texte {row}", row, row * 1.5, "Caf"])
    buffer = io.BytesIO()
    wb.save(buffer)
    uploads.check_xlsx_archive(buffer.getvalue(), stream=True)


def test_too_many_entries_are_refused():
    entries = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    entries.update({f"xl/media/image{i}.xml": b"<x/>" for i in range(600)})
    assert refusal(plain_zip(entries), stream=False).startswith(
        "Ce fichier contient trop d'éléments (602, 500 au plus)"
    )


def test_an_absurd_compression_ratio_is_refused_on_the_headers_alone():
    data = plain_zip({"xl/workbook.xml": b"<workbook/>", "xl/styles.xml": b" " * (5 << 20)})
    assert refusal(data, stream=False).startswith("Ce fichier est anormalement compressé")


def test_too_many_shared_strings_or_cells_are_refused_while_decompressing():
    strings = workbook_zip("Mesures", 0)
    # 60 000 distinct strings: 2 MB, compressed normally, still too many to parse.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(strings)) as source, zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                content = (
                    f'<sst xmlns="{MAIN}">'.encode()
                    + b"".join(b"<si><t>%d</t></si>" % i for i in range(60_000))
                    + b"</sst>"
                )
            archive.writestr(info.filename, content, zipfile.ZIP_DEFLATED)
    assert refusal(out.getvalue()).startswith(
        "Ce classeur contient trop de textes différents (plus de 50\u202f000)"
    )
    cells = b"".join(b'<c r="A%d"><v>1</v></c>' % i for i in range(1, 200_002))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode() + cells
    data = plain_zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet})
    assert refusal(data).startswith("Ce classeur contient trop de cellules (plus de 200\u202f000)")


def test_what_is_not_a_zip_is_unreadable():
    for data in (b"", b"PK\x03\x04 broken", b"code;valeur\n1;2\n"):
        with pytest.raises(uploads.UnreadableSpreadsheet):
            uploads.check_xlsx_archive(data)


def dimension_bomb(sheet_name: str, rows: int) -> bytes:
    """A small workbook whose sheet claims to span A1:XFD<rows>: read as declared, every
    one of its rows would be 16 384 cells wide (gigabytes for a few thousand rows)."""
    body = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(1, rows))
    sheet = (
        f'<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD{rows}"/><sheetData>'.encode()
        + body
        + b"</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK % sheet_name)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}"/>')
    return out.getvalue()


def test_declared_dimensions_do_not_widen_the_rows_read():
    data = dimension_bomb("Statistiques", 2000)
    with Measure() as measure:
        rows = statistic_imports.read_xlsx(data)
        parsed = measurement_imports.parse_workbook(
            dimension_bomb(measurement_imports.SHEET_NAME, 2000),
            indicator_ids=[1],
            start=measurement_imports.datetime.date(2022, 1, 1),
            end=measurement_imports.datetime.date(2025, 12, 31),
        )
    measure.report("dimensions annoncées A1:XFD2000, 2 000 lignes")
    assert len(rows) == 1999 and all(len(row.cells) == 1 for row in rows)
    assert parsed.errors  # its header is not the workbook's: refused in French, not read wide
    check_fast_and_small(measure)
