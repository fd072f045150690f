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
"""

from __future__ import annotations

import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError

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


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")


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
        "Fichier trop volumineux (max %(max)s Mo).",
        params={"max": _megabytes(max_import_size())},
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
    return kind
