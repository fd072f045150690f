"""Where a measurement comes from, in French: the one home of the words the indicator
page, the workbooks and the reports show (DOMAIN.md, data trust).

Reads the measurement's ``entered_by``, ``source_import`` and ``spreadsheet_import``:
select them with the measurements (``select_related``) to keep a constant number of
queries.
"""

from __future__ import annotations

from ctg import formatting

from .models import Measurement

OPEN_DATA_BADGE = "Données ouvertes"


def _who(measurement: Measurement) -> str:
    user = measurement.entered_by
    return (user.get_full_name() or user.email) if user is not None else "un utilisateur supprimé"


def source_label(measurement: Measurement) -> str:
    """« Saisie par Anne Martin », « Import du classeur par … le 3 mars 2026 »,
    « Données ouvertes Cnaf — Cafdata, txcouv_pe_com, millésime 2024 (fichier …) »."""
    kind = measurement.source_kind
    if kind == Measurement.SourceKind.OPEN_DATA and measurement.source_import is not None:
        record = measurement.source_import
        vintage = f", millésime {record.vintage}" if record.vintage else ""
        return (
            f"{OPEN_DATA_BADGE} {record.producer}, {record.dataset}{vintage} "
            f"(fichier {record.filename}, importé le {formatting.date(record.imported_at)})"
        )
    if measurement.override_reason:
        return (
            f"Saisie par {_who(measurement)}, remplace la valeur des données ouvertes : "
            f"{measurement.override_reason}"
        )
    if kind == Measurement.SourceKind.SPREADSHEET:
        when = (
            formatting.date(measurement.spreadsheet_import.imported_at)
            if measurement.spreadsheet_import is not None
            else formatting.date(measurement.entered_at)
        )
        return f"Import du classeur par {_who(measurement)} le {when}"
    return f"Saisie par {_who(measurement)}"


def is_open_data(measurement: Measurement) -> bool:
    """A value of the Caf's open data: not edited by hand, only re-imported or replaced
    with a reason."""
    return measurement.source_kind == Measurement.SourceKind.OPEN_DATA
