"""Import files: CSV or XLSX only, by name AND by content, and not too large.

Every import form calls :func:`validate_import_file` in its ``clean_file``.
The name alone proves nothing (``evil.exe`` renamed ``evil.csv``), so the
first bytes are read too:

* XLSX is a ZIP archive (``PK\\x03\\x04``) which, when it can be opened, holds
  ``[Content_Types].xml`` and ``xl/workbook.xml``. A damaged archive still goes
  on to the parser, which answers "Le fichier XLSX est illisible ou endommagé.".
* CSV is text: no NUL byte nor other binary control character, and no
  signature of a known binary format (executable, archive, PDF, old Excel).

Nothing is saved by the validator: a refused file never reaches the import.

**Bounded XLSX.** A workbook is a ZIP archive: 361 KB on disk can unpack to 106 MB
of XML (a million "shared strings") and keep a worker busy for a minute. Before any
parser opens a workbook, :func:`check_xlsx_archive` reads the archive's central
directory only, without decompressing anything, and refuses an archive with too
many entries, a total unpacked size beyond :func:`max_unpacked_size`, or an entry
compressed beyond :data:`MAX_COMPRESSION_RATIO`. The readers (the measurement
workbook, the statistics import) then call it with ``stream=True``: every entry is
decompressed once, discarding the output, through a counter that stops at the bound
whatever the headers claim, and the shared strings and cells are counted (parsing
them is what costs: openpyxl reads about 50 000 strings a second).

**CSV text.** :func:`decode_csv` reads a CSV's bytes as UTF-8 (with or without byte order
mark) or, failing that, Windows-1252 (and says so), refusing NUL bytes; :func:`csv_lines`
reads its lines within :data:`MAX_CSV_ROWS`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from ctg import formatting

CSV, XLSX = "csv", "xlsx"
_LABELS = {CSV: "CSV", XLSX: "XLSX"}

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: Signatures of binary formats a CSV can never start with.
BINARY_MAGIC = (
    b"MZ",  # Windows executable
    b"\x7fELF",  # Linux executable
    b"\xcf\xfa\xed\xfe",  # macOS executable
    b"\xca\xfe\xba\xbe",  # Java class / macOS fat binary
    b"#!",  # script
    b"PK",  # ZIP (xlsx, docx, jar…)
    b"%PDF",
    b"\xd0\xcf\x11\xe0",  # old Office (xls, doc)
    b"Rar!",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
)
#: C0 control characters other than tab, line feed, form feed and carriage return.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_SNIFF = 64 * 1024


def max_import_size() -> int:
    return getattr(settings, "MAX_IMPORT_SIZE", 5 * 1024 * 1024)


def max_unpacked_size() -> int:
    """The most an XLSX import may weigh once decompressed (all its parts together)."""
    return getattr(settings, "MAX_IMPORT_UNPACKED_SIZE", 25 * 1024 * 1024)


#: A workbook holds a dozen parts, plus two per sheet.
MAX_ARCHIVE_ENTRIES = 500
#: Beyond this ratio (unpacked ÷ packed) an entry of more than a megabyte is a bomb:
#: real sheets compress 5 to 30 times.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024
#: Texts of the shared-strings table and cells of all sheets together, the parser's work.
MAX_SHARED_STRINGS = 50_000
MAX_CELLS = 200_000
_CHUNK = 64 * 1024
_SHARED_STRING = re.compile(rb"<(?:\w{1,10}:)?si[\s/>]")
_CELL = re.compile(rb"<(?:\w{1,10}:)?c[\s/>]")
_TAG_MAX = 16  # the longest text either pattern matches


class SpreadsheetRefused(ValueError):
    """An XLSX archive refused before any parser reads it; ``str()`` is the French reason."""


class UnreadableSpreadsheet(SpreadsheetRefused):
    """Not a ZIP archive, or a damaged one: each reader says so in its own words."""


def _number(value: int) -> str:
    return formatting.number(value, 0)


def _too_large() -> SpreadsheetRefused:
    return SpreadsheetRefused(
        "Ce fichier est trop volumineux une fois décompressé (plus de "
        f"{formatting.file_size(max_unpacked_size())}) : un classeur d'import n'a pas besoin d'être "
        "aussi gros. Enregistrez-le à nouveau depuis votre tableur, ou scindez-le."
    )


def _count(pattern: re.Pattern, tail: bytes, chunk: bytes) -> tuple[int, bytes]:
    """Matches in ``tail + chunk`` that start before its last ``_TAG_MAX`` bytes (the
    ones after are counted with the next chunk); the new tail."""
    buffer = tail + chunk
    limit = max(len(buffer) - _TAG_MAX, 0)
    found = sum(1 for match in pattern.finditer(buffer) if match.start() < limit)
    return found, buffer[limit:]


def _too_many(kind: str) -> SpreadsheetRefused:
    if kind == "strings":
        text = f"trop de textes différents (plus de {_number(MAX_SHARED_STRINGS)})"
    else:
        text = f"trop de cellules (plus de {_number(MAX_CELLS)})"
    return SpreadsheetRefused(f"Ce classeur contient {text} pour être importé : scindez-le.")


def _stream_check(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Decompress every entry once, discarding it, with a counter that stops at the bound.

    The counter does not trust the headers: it counts what the decompressor gives
    (zipfile itself stops at the declared size and then fails on the CRC, so a header
    that lies is refused as damaged).
    """
    budget = max_unpacked_size()
    limits = {"strings": MAX_SHARED_STRINGS, "cells": MAX_CELLS}
    counts = dict.fromkeys(limits, 0)
    total = 0
    for info in infos:
        name = info.filename.lower()
        kind = pattern = None
        if name.endswith("sharedstrings.xml"):
            kind, pattern = "strings", _SHARED_STRING
        elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
            kind, pattern = "cells", _CELL
        tail = b""
        with archive.open(info) as entry:
            while chunk := entry.read(_CHUNK):
                total += len(chunk)
                if total > budget:
                    raise _too_large()
                if kind is None:
                    continue
                found, tail = _count(pattern, tail, chunk)
                counts[kind] += found
                if counts[kind] > limits[kind]:
                    raise _too_many(kind)
        if kind is not None:
            counts[kind] += len(pattern.findall(tail))
            if counts[kind] > limits[kind]:
                raise _too_many(kind)


def check_xlsx_archive(source, *, stream: bool = False) -> None:
    """Refuse, with a French message, a workbook that would cost too much to parse.

    ``source`` is the file's bytes or a seekable file (left at its start). Without
    ``stream`` only the central directory is read (no decompression: a form's
    validator); with it every entry is also decompressed through a bounded counter
    (the readers, just before openpyxl). Raises :class:`UnreadableSpreadsheet` when
    it is not a ZIP archive or a damaged one, :class:`SpreadsheetRefused` otherwise.
    """
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise SpreadsheetRefused(
                    f"Ce fichier contient trop d'éléments ({_number(len(infos))}, "
                    f"{_number(MAX_ARCHIVE_ENTRIES)} au plus) pour être un classeur à importer."
                )
            if sum(info.file_size for info in infos) > max_unpacked_size():
                raise _too_large()
            for info in infos:
                if (
                    info.file_size > RATIO_CHECKED_FROM
                    and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
                ):
                    raise SpreadsheetRefused(
                        "Ce fichier est anormalement compressé (une de ses parties est "
                        f"{_number(info.file_size // max(info.compress_size, 1))} fois plus "
                        "grosse une fois décompressée) : il n'est pas accepté. Enregistrez-le "
                        "à nouveau depuis votre tableur."
                    )
            if stream:
                _stream_check(archive, infos)
    except SpreadsheetRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,  # an encrypted entry
        NotImplementedError,  # an unknown compression method
    ) as exc:
        raise UnreadableSpreadsheet("Le fichier XLSX est illisible ou endommagé.") from exc
    finally:
        handle.seek(0)


def open_workbook(
    source,
    *,
    data_only: bool = True,
    unreadable: str = "Le fichier XLSX est illisible ou endommagé.",
):
    """The read-only openpyxl workbook of an uploaded XLSX (its bytes or a seekable file),
    opened only once :func:`check_xlsx_archive` has streamed every part of it.

    Raises :class:`SpreadsheetRefused` with the French reason; :class:`UnreadableSpreadsheet`
    with ``unreadable`` (each reader's own words) when it is no workbook openpyxl can read.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        check_xlsx_archive(stream, stream=True)
    except UnreadableSpreadsheet as exc:
        raise UnreadableSpreadsheet(unreadable) from exc
    try:
        return load_workbook(stream, read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 — zip, XML or openpyxl errors alike
        raise UnreadableSpreadsheet(unreadable) from exc


def type_error(accepted: tuple[str, ...]) -> ValidationError:
    labels = [_LABELS[kind] for kind in accepted]
    if len(labels) == 1:
        text = f"seuls les fichiers {labels[0]} sont acceptés."
    else:
        text = f"seuls les fichiers {', '.join(labels[:-1])} et {labels[-1]} sont acceptés."
    return ValidationError(
        "Type de fichier non accepté : %(accepted)s", params={"accepted": text}, code="file_type"
    )


def size_error() -> ValidationError:
    return ValidationError(
        "Fichier trop volumineux (max %(max)s).",
        params={"max": formatting.file_size(max_import_size())},
        code="file_size",
    )


def _read_head(upload, size: int = _SNIFF) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def looks_like_xlsx(upload) -> bool:
    """A ZIP archive; when it opens, it must be an Excel workbook."""
    if not _read_head(upload, 4).startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return True  # damaged: the parser says so in French
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def looks_like_csv(upload) -> bool:
    """Text: neither a known binary signature nor binary control bytes.

    The encoding itself (UTF-8, or latin-1 from older spreadsheets) is the parser's
    business: every byte sequence without control bytes is readable as latin-1.
    """
    head = _read_head(upload)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]  # UTF-8 byte order mark
    if head.startswith(BINARY_MAGIC):
        return False
    if _BINARY_BYTES.search(head):
        return False
    return True


def validate_import_file(upload, accepted: tuple[str, ...] = (CSV, XLSX)):
    """Refuse, with a French message, a file that is too large or not CSV/XLSX.

    ``accepted`` narrows the kinds a given import reads. Returns the kind found.
    """
    if upload.size is not None and upload.size > max_import_size():
        raise size_error()
    name = (upload.name or "").lower()
    kind = name.rsplit(".", 1)[-1] if "." in name else ""
    if kind not in accepted:
        raise type_error(accepted)
    content_ok = looks_like_xlsx(upload) if kind == XLSX else looks_like_csv(upload)
    if not content_ok:
        raise type_error(accepted)
    if kind == XLSX:
        try:
            check_xlsx_archive(upload)
        except UnreadableSpreadsheet:
            pass  # damaged: the parser says so in French
        except SpreadsheetRefused as exc:
            raise ValidationError(str(exc), code="file_unpacked_size") from exc
    return kind


# --- CSV text ------------------------------------------------------------------------

#: A CSV import is read within bounds (lines, empty ones included).
MAX_CSV_ROWS = 100_000


class CsvRefused(ValueError):
    """A CSV file that cannot be read as text; ``str()`` is the French reason."""


@dataclass(frozen=True)
class CsvText:
    """The decoded text of an uploaded CSV and the encoding it was read with."""

    text: str
    encoding: str  # "utf-8" (with or without byte order mark) or "windows-1252"

    @property
    def note(self) -> str:
        """What the person should know about the encoding ("" for UTF-8)."""
        if self.encoding == "utf-8":
            return ""
        return (
            "Le fichier n'était pas enregistré en UTF-8 : il a été lu comme un fichier "
            "Windows (Windows-1252). Vérifiez les accents des noms ; pour éviter cet "
            "avertissement, enregistrez-le en « CSV UTF-8 »."
        )


def decode_csv(content: bytes) -> CsvText:
    """The text of a CSV file: UTF-8 with or without byte order mark, else Windows-1252.

    Refuses, with a French reason, an empty file (a byte order mark alone included) and a
    file with NUL bytes (UTF-16, a binary file renamed .csv).
    """
    if not content.removeprefix(codecs.BOM_UTF8).strip():
        raise CsvRefused("Le fichier est vide.")
    if b"\x00" in content:
        raise CsvRefused(
            "Le fichier contient des caractères nuls : ce n'est pas un fichier CSV texte "
            "(un export en UTF-16 ?). Enregistrez-le en « CSV UTF-8 »."
        )
    try:
        return CsvText(text=content.decode("utf-8-sig"), encoding="utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return CsvText(text=content.decode("cp1252"), encoding="windows-1252")
    except UnicodeDecodeError as exc:
        raise CsvRefused(
            "Le fichier CSV n'est pas lisible (encodage inconnu) : enregistrez-le en « CSV UTF-8 »."
        ) from exc


def csv_lines(text: str, *, delimiter: str, max_rows: int = MAX_CSV_ROWS):
    """The cells of each line of a CSV text with its line number, within bounds.

    Raises :class:`CsvRefused` beyond ``max_rows`` lines or on a malformed file.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for count, cells in enumerate(reader, start=1):
            if count > max_rows:
                raise CsvRefused(
                    f"Le fichier compte plus de {_number(max_rows)} lignes : "
                    "scindez-le (par exemple par département) en plusieurs fichiers."
                )
            yield reader.line_num, cells
    except csv.Error as exc:
        # A cell longer than the csv module's limit (131 072 characters), in practice a
        # quote that is never closed and swallows the rest of the file.
        raise CsvRefused(
            "Le fichier CSV est mal formé : une cellule est démesurément longue "
            "(guillemet ouvrant jamais refermé ?)."
        ) from exc
