"""Parsing of collectivity files in the INSEE layout (pure: no database access).

Expected columns (header names are matched loosely, case and accents ignored):
``code``, ``nom`` (or ``name``/``libelle``), ``type`` (or ``kind``), ``code EPCI`` (or ``epci``,
``siren_epci``), ``population``. Separators ``;`` or ``,``; UTF-8 with or without BOM.

:func:`parse_collectivities_csv` returns the good rows and the list of bad rows with their line
number and reason; the caller decides what to write (see
``conventions.services.collectivity.collectivities_import``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from .models import INSEE_CODE_RE, Collectivity, siren_is_valid

MAX_FILE_SIZE = 5 * 1024 * 1024

HEADER_ALIASES = {
    "code": {"code", "code_insee", "codgeo", "insee", "code_officiel", "siren"},
    "name": {"name", "nom", "libelle", "libgeo", "nom_commune"},
    "kind": {"kind", "type", "nature"},
    "epci_code": {
        "epci",
        "code_epci",
        "epci_code",
        "siren_epci",
        "epci_siren",
        "code_siren_epci",
    },
    "population": {"population", "pop", "pmun", "population_municipale"},
}
REQUIRED_COLUMNS = ("code", "name", "kind")
CSV_MALFORMED = (
    "Le fichier CSV est mal formé : une cellule est démesurément longue "
    "(guillemet ouvrant jamais refermé ?)."
)

KIND_ALIASES = {
    "commune": Collectivity.Kind.COMMUNE,
    "com": Collectivity.Kind.COMMUNE,
    "epci": Collectivity.Kind.EPCI,
    "cc": Collectivity.Kind.EPCI,
    "ca": Collectivity.Kind.EPCI,
    "cu": Collectivity.Kind.EPCI,
    "metropole": Collectivity.Kind.EPCI,
    "met": Collectivity.Kind.EPCI,
    "intercommunalite": Collectivity.Kind.EPCI,
}


@dataclass(frozen=True)
class CollectivityRow:
    line: int
    kind: str
    code: str
    name: str
    epci_code: str = ""
    population: int | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Ligne {self.line} : {self.message}" if self.line else self.message


@dataclass
class ParseResult:
    rows: list[CollectivityRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return "_".join(text.strip().lower().replace("-", " ").replace(".", " ").split())


def _decode(content: bytes) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _parse_population(raw: str) -> int:
    cleaned = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not cleaned.isdigit():
        raise ValueError
    return int(cleaned)


def parse_collectivities_csv(content: bytes) -> ParseResult:
    """Rows and errors of a CSV file of communes and EPCIs."""
    result = ParseResult()
    if len(content) > MAX_FILE_SIZE:
        result.errors.append(RowError(0, "Le fichier dépasse 5 Mo."))
        return result
    text = _decode(content)
    if text is None:
        result.errors.append(
            RowError(0, "Le fichier n'est pas encodé en UTF-8 : enregistrez-le en « CSV UTF-8 ».")
        )
        return result
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        result.errors.append(RowError(0, "Le fichier est vide ou sa première ligne est vide."))
        return result
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        # A cell longer than the csv module's limit (131 072 characters), in practice a
        # quote that is never closed and swallows the rest of the file.
        result.errors.append(RowError(0, CSV_MALFORMED))
        return result
    if not table:
        result.errors.append(RowError(0, "Le fichier est vide ou sa première ligne est vide."))
        return result
    header, data_rows = table[0], table[1:]
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = _normalise(raw)
        for column, aliases in HEADER_ALIASES.items():
            if key in aliases and column not in columns:
                columns[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        labels = {"code": "code", "name": "nom", "kind": "type"}
        result.errors.append(
            RowError(
                1,
                "colonnes obligatoires absentes : "
                + ", ".join(labels[c] for c in missing)
                + " (attendu : code ; nom ; type ; code EPCI ; population).",
            )
        )
        return result

    seen: dict[tuple[str, str], int] = {}
    for line_number, values in enumerate(data_rows, start=2):
        if not any(v.strip() for v in values):
            continue

        def get(column: str, values=values) -> str:
            index = columns.get(column)
            if index is None or index >= len(values):
                return ""
            return values[index].strip()

        problems = []
        code = get("code").upper()
        name = get("name")
        raw_kind = get("kind")
        kind = KIND_ALIASES.get(_normalise(raw_kind))
        epci_code = get("epci_code").replace(" ", "")
        population = None
        if not name:
            problems.append("le nom est vide")
        elif len(name) > 200:
            problems.append("le nom dépasse 200 caractères")
        if kind is None:
            problems.append(
                f"type « {raw_kind} » inconnu (attendu : commune ou EPCI)"
                if raw_kind
                else "le type est vide (attendu : commune ou EPCI)"
            )
        elif kind == Collectivity.Kind.COMMUNE and not INSEE_CODE_RE.match(code):
            problems.append(f"code INSEE « {code} » invalide (5 caractères, ex. 82155 ou 2A004)")
        elif kind == Collectivity.Kind.EPCI and not siren_is_valid(code):
            problems.append(f"SIREN « {code} » invalide (9 chiffres avec une clé de contrôle)")
        if epci_code:
            if kind == Collectivity.Kind.EPCI:
                problems.append("un EPCI ne peut pas être rattaché à un autre EPCI")
            elif not siren_is_valid(epci_code):
                problems.append(f"code EPCI « {epci_code} » invalide (SIREN de 9 chiffres)")
        raw_population = get("population")
        if raw_population:
            try:
                population = _parse_population(raw_population)
            except ValueError:
                problems.append(f"population « {raw_population} » n'est pas un nombre entier")
        if kind and code:
            first = seen.get((kind, code))
            if first is not None:
                problems.append(f"le code {code} figure déjà à la ligne {first}")
            else:
                seen[(kind, code)] = line_number
        if problems:
            result.errors.append(RowError(line_number, " ; ".join(problems) + "."))
            continue
        result.rows.append(
            CollectivityRow(
                line=line_number,
                kind=kind,
                code=code,
                name=name,
                epci_code=epci_code,
                population=population,
            )
        )
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, "Le fichier ne contient aucune ligne de données."))
    return result
