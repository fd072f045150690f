"""What an evidence file is, read from its bytes: the one check of an uploaded file.

The name proves nothing (``programme.exe`` renamed ``rapport.pdf``): the first bytes decide
the kind, and the extension must then be one of that kind's. Accepted: PDF, images (PNG,
JPEG, GIF, WebP), office documents (OOXML: DOCX, XLSX, PPTX — without macros; OpenDocument:
ODT, ODS, ODP), CSV and plain text (UTF-8, without NUL nor other binary control bytes).
Refused whatever their name: executables (ELF, PE, Mach-O, a script's ``#!``), web pages and
SVG images (they run scripts when opened in a browser), archives, old binary Office files.
An archive is never decompressed here: only its directory (names) and, for OpenDocument, the
first bytes of its ``mimetype`` entry are read. The file is also refused beyond
``MAX_EVIDENCE_SIZE`` and when empty.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from ctg import formatting
from ctg.middleware import without_control_characters


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    kind.code: kind
    for kind in (
        Kind("pdf", "PDF", "application/pdf", ("pdf",)),
        Kind("png", "image PNG", "image/png", ("png",)),
        Kind("jpeg", "image JPEG", "image/jpeg", ("jpg", "jpeg")),
        Kind("gif", "image GIF", "image/gif", ("gif",)),
        Kind("webp", "image WebP", "image/webp", ("webp",)),
        Kind(
            "docx",
            "document Word (DOCX)",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("docx",),
        ),
        Kind(
            "xlsx",
            "classeur Excel (XLSX)",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ("xlsx",),
        ),
        Kind(
            "pptx",
            "présentation PowerPoint (PPTX)",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ("pptx",),
        ),
        Kind(
            "odt", "texte OpenDocument (ODT)", "application/vnd.oasis.opendocument.text", ("odt",)
        ),
        Kind(
            "ods",
            "classeur OpenDocument (ODS)",
            "application/vnd.oasis.opendocument.spreadsheet",
            ("ods",),
        ),
        Kind(
            "odp",
            "présentation OpenDocument (ODP)",
            "application/vnd.oasis.opendocument.presentation",
            ("odp",),
        ),
        Kind("csv", "CSV", "text/csv", ("csv",)),
        Kind("txt", "texte", "text/plain", ("txt",)),
    )
}
CONTENT_TYPES = {kind.content_type: kind for kind in KINDS.values()}
ACCEPTED = (
    "PDF, images (PNG, JPEG, GIF, WebP), documents bureautiques (DOCX, XLSX, PPTX, ODT, ODS, "
    "ODP), CSV ou texte"
)

EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux
    b"MZ",  # Windows (PE)
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O, 32 and 64 bits, both byte orders)
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # macOS universal binary, Java class
    b"#!",  # a script
)
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
OOXML_PARTS = (
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
)
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
UTF8_BOM = b"\xef\xbb\xbf"
#: C0 control characters other than tab, line feed, form feed and carriage return.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
#: Markup a browser would run: web pages, SVG, scripts.
MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|svg|iframe|object|embed|meta)\b", re.IGNORECASE
)
_HEAD = 64 * 1024
MAX_NAME = 200


def max_evidence_size() -> int:
    return settings.MAX_EVIDENCE_SIZE


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code)})


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def clean_name(name: str) -> str:
    """The name to show for an uploaded file: without folders nor control characters, at most
    ``MAX_NAME`` characters (its extension kept). Never used to store the file."""
    name = without_control_characters(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) > MAX_NAME:
        extension = extension_of(name)
        keep = MAX_NAME - len(extension) - 2
        name = f"{name[:keep]}….{extension}" if extension and keep > 0 else name[:MAX_NAME]
    return name or "fichier"


def _read(upload, size: int | None = None) -> bytes:
    upload.seek(0)
    data = upload.read() if size is None else upload.read(size)
    upload.seek(0)
    return data


def _zip_kind(upload) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    raise _refused(
                        "Ce document contient des macros : enregistrez-le sans macros (DOCX, "
                        "XLSX, PPTX) ou en PDF.",
                        "evidence_macros",
                    )
                for part, code in OOXML_PARTS:
                    if part in names:
                        return code
            elif "mimetype" in names:
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(100).strip()
                if mimetype in ODF_MIMETYPES:
                    return ODF_MIMETYPES[mimetype]
    except ValidationError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ):
        raise _refused(
            "Ce document est illisible ou endommagé : enregistrez-le à nouveau.", "evidence_damaged"
        ) from None
    finally:
        upload.seek(0)
    raise _refused(
        f"Les archives (ZIP…) ne sont pas acceptées : déposez les documents un par un ({ACCEPTED}).",
        "evidence_archive",
    )


def _text_kind(upload) -> str | None:
    """``"text"`` for UTF-8 text a browser would not run; a refusal for markup; ``None``
    when it is not text."""
    data = _read(upload)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    if BINARY_BYTES.search(data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if MARKUP.search(data[:_HEAD]) or MARKUP.search(data[-_HEAD:]):
        raise _refused(
            "Les pages web (HTML) et les images SVG ne sont pas acceptées : elles peuvent "
            "contenir des scripts. Enregistrez le document en PDF.",
            "evidence_markup",
        )
    return "text"


def detect(upload) -> Kind:
    """The kind of an uploaded file (``name``, ``size``, seekable), from its content; a
    ``ValidationError`` on ``file`` with the French reason otherwise."""
    size = upload.size if upload.size is not None else len(_read(upload))
    if size > max_evidence_size():
        raise _refused(
            f"Fichier trop volumineux ({formatting.file_size(size)}) : une pièce justificative pèse au plus "
            f"{formatting.file_size(max_evidence_size())}.",
            "evidence_size",
        )
    if size == 0:
        raise _refused("Le fichier est vide.", "evidence_empty")
    head = _read(upload, _HEAD)
    if head.startswith(UTF8_BOM):
        bare = head[len(UTF8_BOM) :]
    else:
        bare = head
    if head.startswith(EXECUTABLE_MAGIC) or bare.startswith(b"#!"):
        raise _refused(
            "Ce fichier est un programme : il n'est pas accepté comme pièce justificative.",
            "evidence_executable",
        )
    code = None
    if head.startswith(b"%PDF-"):
        code = "pdf"
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        code = "webp"
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refused(
            "Les anciens formats Office (DOC, XLS, PPT) ne sont pas acceptés : enregistrez le "
            "document en DOCX, XLSX, PPTX ou PDF.",
            "evidence_old_office",
        )
    elif head.startswith(b"PK\x03\x04"):
        code = _zip_kind(upload)
    else:
        code = next((kind for magic, kind in IMAGE_MAGIC if head.startswith(magic)), None)
    extension = extension_of(upload.name or "")
    if code is None:
        if _text_kind(upload) is None:
            raise _refused(f"Type de fichier non accepté : {ACCEPTED}.", "evidence_type")
        if extension in ("csv", "txt"):
            return KINDS[extension]
        code = "txt"
    kind = KINDS[code]
    if extension not in kind.extensions:
        shown = f"« .{extension} »" if extension else "absente"
        raise _refused(
            f"Le contenu de ce fichier ({kind.label}) ne correspond pas à son extension "
            f"({shown}) : il n'est pas accepté.",
            "evidence_mismatch",
        )
    return kind
