"""Where a measurement comes from, in French: the one home of the words the indicator
page, the workbooks, the reports and the API show (DOMAIN.md, data trust), and of the
rule that a value of the Caf's open data is not changed by hand.

A measurement is typed (« Saisie »), imported from the measurement workbook
(« Classeur ») or imported from the Caf's open data (« Données ouvertes »: producer, data
set, vintage, file and method of its :class:`diagnostics.models.StatisticImport`). A value
of the open data is only re-imported, or replaced by hand with a reason: it then becomes
typed, keeps the import it replaced as a trace and shows the reason.

Reads the measurement's ``entered_by``, ``source_import`` (and its ``imported_by``) and
``spreadsheet_import``: select them with the measurements (:data:`RELATED`) to keep a
constant number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

from ctg import formatting, palette

from .models import Measurement

#: What to ``select_related`` with measurements whose source is shown.
RELATED = ("entered_by", "source_import__imported_by", "spreadsheet_import")

OPEN_DATA_BADGE = "Données ouvertes"
BADGES = {
    Measurement.SourceKind.TYPED: "Saisie",
    Measurement.SourceKind.SPREADSHEET: "Classeur",
    Measurement.SourceKind.OPEN_DATA: OPEN_DATA_BADGE,
}
OVERRIDE_BADGE = "Saisie (remplace les données ouvertes)"
TONES = {
    Measurement.SourceKind.TYPED: "light",
    Measurement.SourceKind.SPREADSHEET: "secondary",
    Measurement.SourceKind.OPEN_DATA: "info",
}
OVERRIDE_TONE = "warning"

#: The form's field, and the refusal of a change without it.
OVERRIDE_FIELD = "override_reason"
OVERRIDE_LABEL = "Raison du remplacement"
OVERRIDE_HELP = (
    "Cette valeur vient des données ouvertes de la Caf : elle ne se modifie pas à la main. "
    "Pour la remplacer, dites pourquoi (ex. chiffre corrigé par la Caf après vérification "
    "des places ouvertes) ; elle deviendra une saisie, l'import d'origine restant tracé."
)
OVERRIDE_MIN_LENGTH = 5


@dataclass(frozen=True)
class Source:
    """Where one value comes from, ready to show."""

    kind: str  # a Measurement.SourceKind value
    badge: str  # « Données ouvertes », « Saisie », « Classeur »
    tone: str  # a ctg.palette tone
    detail: str  # who and when, or producer, data set, vintage and file
    method: str  # the data set's method (open data), for a tooltip
    reason: str  # why a value of the open data was replaced by hand
    label: str  # everything on one line: XLSX cells, reports, API

    @property
    def badge_class(self) -> str:
        return palette.TONES[self.tone].badge

    @property
    def is_open_data(self) -> bool:
        return self.kind == Measurement.SourceKind.OPEN_DATA


def _person(user) -> str:
    return user.get_full_name() or user.email


def _by(user) -> str:
    """« par Anne Martin », or nothing when nobody is known (an account since deleted, a
    value loaded by the tool)."""
    return f" par {_person(user)}" if user is not None else ""


def _day(moment: datetime.datetime | None) -> str:
    return formatting.date(moment) if moment is not None else ""


def _open_data_words(record) -> str:
    """« Cnaf — Cafdata : Taux de couverture … (txcouv_pe_com…), millésime 2024 »."""
    vintage = f", millésime {record.vintage}" if record.vintage else ""
    return f"{record.producer} : {record.dataset_label or record.dataset}{vintage}"


def _file_words(record) -> str:
    by = _by(record.imported_by) if record.imported_by_id else ""
    return f"fichier {record.filename} importé le {_day(record.imported_at)}{by}"


def is_open_data(measurement: Measurement) -> bool:
    """A value of the Caf's open data: not edited by hand, only re-imported or replaced
    with a reason."""
    return measurement.source_kind == Measurement.SourceKind.OPEN_DATA


def is_override(measurement: Measurement) -> bool:
    """Typed by hand over a value of the open data, with a reason: an import keeps it."""
    return measurement.source_kind == Measurement.SourceKind.TYPED and bool(
        measurement.override_reason
    )


def source_of(measurement: Measurement) -> Source:
    kind = measurement.source_kind
    record = measurement.source_import if measurement.source_import_id else None
    if kind == Measurement.SourceKind.OPEN_DATA and record is not None:
        words = _open_data_words(record)
        detail = f"{words} · {_file_words(record)}"
        return Source(
            kind=kind,
            badge=OPEN_DATA_BADGE,
            tone=TONES[kind],
            detail=detail,
            method=record.method,
            reason="",
            label=f"{OPEN_DATA_BADGE} {words}, {_file_words(record)}",
        )
    by = _by(measurement.entered_by)
    if kind == Measurement.SourceKind.SPREADSHEET:
        sheet = measurement.spreadsheet_import if measurement.spreadsheet_import_id else None
        when = _day(sheet.imported_at if sheet is not None else measurement.entered_at)
        detail = f"importée{by} le {when}"
        return Source(
            kind=kind,
            badge=BADGES[kind],
            tone=TONES[kind],
            detail=detail,
            method="",
            reason="",
            label=f"Import du classeur{by} le {when}",
        )
    when = _day(measurement.entered_at)
    detail = f"{by} le {when}".strip()
    if is_override(measurement):
        replaced = f" ({_open_data_words(record)})" if record is not None else ""
        reason = measurement.override_reason
        return Source(
            kind=kind,
            badge=OVERRIDE_BADGE,
            tone=OVERRIDE_TONE,
            detail=detail,
            method=record.method if record is not None else "",
            reason=reason,
            label=(
                f"Saisie{by} le {when}, remplace la valeur des données ouvertes"
                f"{replaced} : {reason}"
            ),
        )
    return Source(
        kind=kind,
        badge=BADGES.get(kind, BADGES[Measurement.SourceKind.TYPED]),
        tone=TONES.get(kind, "light"),
        detail=detail,
        method="",
        reason="",
        label=f"Saisie{by} le {when}",
    )


def source_label(measurement: Measurement) -> str:
    """« Saisie par Anne Martin le 3 mars 2026 », « Import du classeur par … le … »,
    « Données ouvertes Cnaf — Cafdata : Taux de couverture … , millésime 2024, fichier …
    importé le … »: where the value comes from, on one line."""
    return source_of(measurement).label


def public_label(measurement: Measurement) -> str:
    """Where the value comes from without the name of anyone (the published data)."""
    if is_open_data(measurement) and measurement.source_import_id:
        return f"{OPEN_DATA_BADGE} {_open_data_words(measurement.source_import)}"
    if is_override(measurement):
        return OVERRIDE_BADGE
    return Measurement.SourceKind(measurement.source_kind).label


# ----------------------------------------------------------------- the open-data rule


def open_data_refusal(measurement: Measurement) -> str:
    """Why a value of the open data is not changed (or deleted) by hand."""
    record = measurement.source_import if measurement.source_import_id else None
    words = f" ({_open_data_words(record)})" if record is not None else ""
    return (
        f"Cette valeur vient des données ouvertes de la Caf{words} : elle ne se modifie pas "
        "et ne se supprime pas à la main. Réimportez le fichier de données ouvertes, ou "
        "remplacez-la depuis la page de l'indicateur (« Modifier ») en indiquant la raison "
        "du remplacement."
    )


def override_reason_of(measurement: Measurement, reason: str) -> str:
    """The reason a hand change of ``measurement`` needs, cleaned; raises the refusal
    (on the form's « Raison du remplacement ») when the value is of the open data and no
    reason is given. Empty for any other value (it needs none)."""
    if not is_open_data(measurement):
        return ""
    reason = " ".join((reason or "").split())
    if len(reason) < OVERRIDE_MIN_LENGTH:
        raise ValidationError({OVERRIDE_FIELD: open_data_refusal(measurement)})
    return reason


def override(measurement: Measurement, reason: str) -> None:
    """Turn a value of the open data into a typed one replacing it (not saved): the import
    stays as a trace, the reason is kept on the value and in its history."""
    measurement.source_kind = Measurement.SourceKind.TYPED
    measurement.override_reason = reason
    measurement._change_reason = f"Remplace la valeur des données ouvertes : {reason}"


def sources_at(keys: Iterable[tuple[int, datetime.date]]) -> dict:
    """The :class:`Source` of the measurement of each (indicator id, date) — one per
    indicator and date — in one query that reads those measurements only (one term per
    date: values are mostly dated at the same period ends)."""
    by_date: dict[datetime.date, set[int]] = {}
    for indicator_id, day in keys:
        by_date.setdefault(day, set()).add(indicator_id)
    if not by_date:
        return {}
    wanted = Q()
    for day, ids in by_date.items():
        wanted |= Q(date=day, indicator_id__in=ids)
    return {
        (m.indicator_id, m.date): source_of(m)
        for m in Measurement.objects.filter(wanted).select_related(*RELATED)
    }
