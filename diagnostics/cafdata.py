"""Open data of the Caf (the Cafdata portal): the data sets the tool recognises, and reading them.

**The registry** (:data:`DATASETS`, :data:`DEFINITIONS`) is the one home of what a Cafdata
file means: each data set's key and French label, its producer, the columns that identify
it, its geographic level, its code and year columns and, per value column, the statistic
(by code) it feeds and its unit. The import fills the territory statistics from it; binding
an indicator to a series later names the same ``(dataset, column)`` pair (:func:`series`).

**Reading** (:func:`parse`) is pure, without the database: the caller gives the codes of its
collectivities (INSEE code of a commune, SIREN of an EPCI) and its département. A file is
recognised by its header; its rows become values, and what cannot be imported is listed,
never guessed: unknown codes, placeholder rows (``XX``), communes of another département
(counted), bad numbers and years (errors, with their line: an error blocks the import).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ctg import uploads

from .imports import (
    MAX_ABS_VALUE,
    TWO_PLACES,
    RowError,
    _normalise_header,
    _text,
    normalise_code,
    parse_decimal,
    parse_year,
    sniff_delimiter,
)

PRODUCER = "Cnaf — Cafdata"
COMMUNE, EPCI = "commune", "epci"
LEVEL_LABELS = {COMMUNE: "commune", EPCI: "EPCI"}


@dataclass(frozen=True)
class Definition:
    """A statistic the open data feeds (created if missing, by its code)."""

    code: str
    label: str
    unit: str
    thematic: str | None
    description: str = ""


COVERAGE_UNIT = "places pour 100 enfants de moins de 3 ans"

DEFINITIONS: dict[str, Definition] = {
    d.code: d
    for d in (
        # The reference statistic of diagnostics.reference: its words are kept if it exists.
        Definition(
            "taux-couverture",
            "Taux de couverture en accueil formel",
            COVERAGE_UNIT,
            "petite-enfance",
            "Places d'accueil formel (accueil collectif, assistants maternels, garde à "
            "domicile, préscolarisation) pour 100 enfants de moins de 3 ans.",
        ),
        Definition(
            "taux-couverture-eaje",
            "Taux de couverture en accueil collectif (EAJE)",
            COVERAGE_UNIT,
            "petite-enfance",
        ),
        Definition(
            "taux-couverture-assistants-maternels",
            "Taux de couverture par les assistants maternels",
            COVERAGE_UNIT,
            "petite-enfance",
        ),
        Definition(
            "taux-couverture-prescolarisation",
            "Taux de couverture par la préscolarisation",
            COVERAGE_UNIT,
            "petite-enfance",
        ),
        Definition(
            "places-eaje",
            "Places en accueil collectif (EAJE)",
            "places",
            "petite-enfance",
        ),
        Definition(
            "places-assistants-maternels",
            "Places chez les assistants maternels",
            "places",
            "petite-enfance",
        ),
        Definition(
            "places-moins-3-ans",
            "Offre d'accueil des enfants de moins de 3 ans (places)",
            "places",
            "petite-enfance",
        ),
        Definition("foyers-af", "Foyers bénéficiaires des allocations familiales", "foyers", None),
        Definition("foyers-rsa", "Foyers bénéficiaires du RSA", "foyers", "accompagnement-social"),
        Definition(
            "foyers-ppa", "Foyers bénéficiaires de la prime d'activité", "foyers", "insertion"
        ),
        Definition("foyers-aah", "Foyers bénéficiaires de l'AAH", "foyers", "handicap"),
        Definition("foyers-aeeh", "Foyers bénéficiaires de l'AEEH", "foyers", "handicap"),
        Definition("foyers-paje", "Foyers bénéficiaires de la PAJE", "foyers", "petite-enfance"),
        Definition(
            "foyers-al", "Foyers bénéficiaires d'une aide au logement", "foyers", "logement"
        ),
    )
}


@dataclass(frozen=True)
class Series:
    """A value column of a data set and the statistic it feeds."""

    column: str
    statistic: str  # a code of DEFINITIONS

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.statistic]

    @property
    def unit(self) -> str:
        return self.definition.unit


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    level: str  # COMMUNE or EPCI
    code_column: str
    name_column: str
    year_columns: tuple[str, ...]  # the first one the file has
    required: tuple[str, ...]  # value columns that identify the data set
    series: tuple[Series, ...]
    method: str
    producer: str = PRODUCER

    @property
    def identifying(self) -> tuple[str, ...]:
        return (self.code_column, *self.required)

    @property
    def expected_columns(self) -> str:
        year = " ou ".join(self.year_columns)
        return ", ".join((self.code_column, year, *self.required))


def _by_level(level: str, key: str, label: str, method: str, columns: dict[str, str]) -> Dataset:
    """A data set published both by EPCI and by commune: its columns end in ``_epci`` or
    ``_com`` (``columns``: the stem of each value column, the first one identifying it, to
    the statistic it feeds)."""
    suffix = "epci" if level == EPCI else "com"
    series_ = tuple(Series(f"{stem}_{suffix}", code) for stem, code in columns.items())
    return Dataset(
        key=f"{key}_{suffix}",
        label=label.format(level=LEVEL_LABELS[level], key=f"{key}_{suffix}"),
        level=level,
        code_column=f"num{suffix}",
        name_column=f"nom{suffix}",
        year_columns=("annee",),
        required=(series_[0].column,),
        series=series_,
        method=method,
    )


COVERAGE = {
    "txcouv": "taux-couverture",
    "txcouv_eaje": "taux-couverture-eaje",
    "txcouv_am_ind": "taux-couverture-assistants-maternels",
    "txcouv_prescol": "taux-couverture-prescolarisation",
}
COVERAGE_METHOD = (
    "Taux de couverture global petite enfance calculé par la Cnaf : places d'accueil "
    "formel pour 100 enfants de moins de 3 ans, par année."
)
PLACES = {
    "tot_offre": "places-moins-3-ans",
    "pl_eaje": "places-eaje",
    "pl_am_ind": "places-assistants-maternels",
}
PLACES_METHOD = "Places d'accueil des enfants de moins de 3 ans recensées par la Cnaf, par année."
COVERAGE_LABEL = "Taux de couverture petite enfance par {level} ({key}, {key}_hist)"
PLACES_LABEL = "Places d'accueil des moins de 3 ans par {level} ({key})"

DATASETS: tuple[Dataset, ...] = (
    _by_level(EPCI, "txcouv_pe", COVERAGE_LABEL, COVERAGE_METHOD, COVERAGE),
    _by_level(COMMUNE, "txcouv_pe", COVERAGE_LABEL, COVERAGE_METHOD, COVERAGE),
    _by_level(EPCI, "nbpla_pe", PLACES_LABEL, PLACES_METHOD, PLACES),
    _by_level(COMMUNE, "nbpla_pe", PLACES_LABEL, PLACES_METHOD, PLACES),
    Dataset(
        key="s_ben_com_f",
        label="Foyers allocataires par prestation et par commune (s_ben_com_f)",
        level=COMMUNE,
        code_column="numcomdo",
        name_column="nomcomdo",
        year_columns=("annee", "dtreff"),
        required=("indfoy_af",),
        series=(
            Series("indfoy_af", "foyers-af"),
            Series("indfoy_rsa", "foyers-rsa"),
            Series("indfoy_ppa", "foyers-ppa"),
            Series("indfoy_aah", "foyers-aah"),
            Series("indfoy_aeeh", "foyers-aeeh"),
            Series("indfoy_paje", "foyers-paje"),
            Series("indfoy_al", "foyers-al"),
        ),
        method=(
            "Foyers allocataires percevant chaque prestation, par commune de résidence, "
            "au 31 décembre de l'année (Cnaf, fichier statistique des allocataires)."
        ),
    ),
)
BY_KEY = {d.key: d for d in DATASETS}


def dataset(key: str) -> Dataset | None:
    return BY_KEY.get(key)


def series(key: str, column: str) -> Series | None:
    """A series of the registry by data set and column: what an indicator binding names."""
    found = BY_KEY.get(key)
    return next((s for s in found.series if s.column == column), None) if found else None


# --- reading a file ------------------------------------------------------------------

#: A placeholder code (« XX », « XXXXX », « 82XXX »): a row not attached to any collectivity.
PLACEHOLDER = re.compile(r"^[0-9A-Z]*X{2,}[0-9A-Z]*$|^X$")
#: A masked value (secret statistique): « X », « XX »… An empty cell is an absent value.
MASKED = re.compile(r"^X+$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$|^(\d{4})-(\d{2})-(\d{2})")


class CafdataFileError(ValueError):
    """The file as a whole cannot be imported; ``str()`` is the French reason."""


@dataclass(frozen=True)
class Notice:
    """A row that is listed and not imported (unknown code, placeholder)."""

    line: int
    code: str
    name: str


@dataclass(frozen=True)
class Value:
    line: int
    collectivity_id: int
    statistic: str
    year: int
    value: Decimal


@dataclass
class Parsed:
    dataset: Dataset
    columns: list[str]  # the value columns the file has
    values: list[Value] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown: list[Notice] = field(default_factory=list)
    placeholders: list[Notice] = field(default_factory=list)
    outside: int = 0  # rows of communes of another département
    absent: int = 0  # empty or masked cells
    rows: int = 0
    encoding_note: str = ""

    @property
    def years(self) -> list[int]:
        return sorted({v.year for v in self.values})

    @property
    def vintage(self) -> int | None:
        return max((v.year for v in self.values), default=None)


def unrecognised_message() -> str:
    known = " ; ".join(f"{d.label} : colonnes {d.expected_columns}" for d in DATASETS)
    return (
        "Ce fichier n'est pas reconnu comme un jeu de données Cafdata. Jeux reconnus : "
        f"{known}. Téléchargez le fichier CSV du jeu de données sur le portail Cafdata, "
        "sans modifier ses colonnes."
    )


def recognise(headers: list[str]) -> Dataset | None:
    """The data set whose identifying columns (and a year column) the header has."""
    names = set(headers)
    matches = [
        d
        for d in DATASETS
        if set(d.identifying) <= names and any(y in names for y in d.year_columns)
    ]
    # The most specific one first (never two in the registry, but say which if so).
    matches.sort(key=lambda d: -len(d.identifying))
    return matches[0] if matches else None


def _year(cell: str) -> int:
    """A year (« 2023 ») or a reference date (« 31/12/2023 », « 2023-12-31 »)."""
    match = _DATE.match(cell)
    if match:
        year = match.group(3) or match.group(4)
        try:
            datetime.date(int(year), 1, 1)
        except ValueError:
            raise ValueError(f"la date « {cell[:20]} » n'est pas valable") from None
        return parse_year(year)
    return parse_year(cell)


def parse(
    content: bytes,
    *,
    collectivities: dict[str, int],
    department: str,
    max_rows: int = uploads.MAX_CSV_ROWS,
) -> Parsed:
    """Read a Cafdata CSV export.

    ``collectivities`` maps each level to the official codes of the caller's collectivities
    of that level and their ids: ``{"commune": {"82090": 3}, "epci": {"200041614": 2}}``.
    ``department`` is the Caf's département code: communes of another département are
    counted, not listed.
    Raises :class:`CafdataFileError` when the file cannot be read or is not recognised.
    """
    try:
        decoded = uploads.decode_csv(content)
    except uploads.CsvRefused as exc:
        raise CafdataFileError(str(exc)) from exc
    text = decoded.text
    first_line = text.splitlines()[0] if text.strip() else ""
    lines = uploads.csv_lines(text, delimiter=sniff_delimiter(first_line), max_rows=max_rows)
    try:
        header_line, header = next(lines)
    except StopIteration:  # pragma: no cover - decode_csv refuses an empty file
        raise CafdataFileError("Le fichier est vide.") from None
    except uploads.CsvRefused as exc:
        raise CafdataFileError(str(exc)) from exc
    headers = [_normalise_header(cell) for cell in header]
    found = recognise(headers)
    if found is None:
        raise CafdataFileError(unrecognised_message())
    index = {name: position for position, name in reversed(list(enumerate(headers)))}
    year_column = next(y for y in found.year_columns if y in index)
    present = [s for s in found.series if s.column in index]
    parsed = Parsed(
        dataset=found,
        columns=[s.column for s in present],
        encoding_note=decoded.note,
    )
    known = collectivities.get(found.level, {})
    seen: dict[tuple[int, int], int] = {}

    def cell(cells: list[str], column: str) -> str:
        position = index.get(column)
        return _text(cells[position]) if position is not None and position < len(cells) else ""

    try:
        for line, cells in lines:
            if not any(_text(c) for c in cells):
                continue
            parsed.rows += 1
            raw_code = cell(cells, found.code_column)
            name = cell(cells, found.name_column)[:120]
            code = normalise_code(raw_code)
            if not code or PLACEHOLDER.match(code):
                parsed.placeholders.append(Notice(line=line, code=raw_code[:20], name=name))
                continue
            reasons: list[str] = []
            year = None
            try:
                year = _year(cell(cells, year_column))
            except ValueError as exc:
                reasons.append(str(exc))
            collectivity_id = known.get(code)
            if collectivity_id is None:
                if found.level == COMMUNE and department and not code.startswith(department):
                    parsed.outside += 1
                else:
                    parsed.unknown.append(Notice(line=line, code=code[:20], name=name))
                continue
            row_values: list[Value] = []
            for item in present:
                text_value = cell(cells, item.column)
                if not text_value or MASKED.match(text_value.upper()):
                    parsed.absent += 1
                    continue
                try:
                    number = parse_decimal(text_value)
                except ValueError:
                    reasons.append(f"{item.column} : « {text_value[:40]} » n'est pas un nombre")
                    continue
                if abs(number) > MAX_ABS_VALUE:
                    reasons.append(f"{item.column} : « {text_value[:40]} » est trop grand")
                    continue
                if year is not None:
                    row_values.append(
                        Value(
                            line=line,
                            collectivity_id=collectivity_id,
                            statistic=item.statistic,
                            year=year,
                            value=number.quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
                        )
                    )
            if year is not None and not reasons:
                key = (collectivity_id, year)
                if key in seen:
                    reasons.append(
                        f"doublon de la ligne {seen[key]} (même {LEVEL_LABELS[found.level]} "
                        f"{code}, même année {year})"
                    )
                else:
                    seen[key] = line
            if reasons:
                parsed.errors.append(RowError(line=line, sheet="", reasons=tuple(reasons)))
                continue
            parsed.values.extend(row_values)
    except uploads.CsvRefused as exc:
        raise CafdataFileError(str(exc)) from exc
    if header_line and not parsed.rows:
        raise CafdataFileError("Le fichier ne contient aucune ligne de données.")
    return parsed


# --- what an import does to a value ---------------------------------------------------

NEW, CHANGED, UNCHANGED, KEPT = "nouvelle", "modifiee", "inchangee", "conservee"
STATUSES = (NEW, CHANGED, UNCHANGED, KEPT)


def status(current, value: Value) -> str:
    """What importing ``value`` does to the recorded value ``current`` (a TerritoryStatistic
    or None): the one rule of the preview and of the import.

    A value replaced by hand with a reason is kept (only a person undoes a person's
    override); a value already imported from the open data with the same figure is
    unchanged; anything else (another figure, a typed value) becomes the open-data value.
    """
    if current is None:
        return NEW
    return outcome(
        overridden=current.is_override,
        open_data=current.is_open_data,
        same=current.value == value.value,
    )


def outcome(*, overridden: bool, open_data: bool, same: bool) -> str:
    """:func:`status` for a recorded value described by its flags: the same rule for the
    territory statistics and for the measurements of the indicators bound to a series
    (``evaluation.opendata``). ``same``: the recorded figure(s) equal the file's."""
    if overridden:
        return KEPT
    if open_data and same:
        return UNCHANGED
    return CHANGED


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"


def summary(conventions: int, totals: dict[str, int]) -> str:
    """« 3 conventions, 41 valeurs nouvelles, 2 modifiées, 5 inchangées »."""
    parts = [
        _plural(conventions, "convention", "conventions"),
        _plural(totals[NEW], "valeur nouvelle", "valeurs nouvelles"),
        _plural(totals[CHANGED], "modifiée", "modifiées"),
        _plural(totals[UNCHANGED], "inchangée", "inchangées"),
    ]
    if totals[KEPT]:
        parts.append(
            _plural(
                totals[KEPT], "remplacée à la main conservée", "remplacées à la main conservées"
            )
        )
    return ", ".join(parts)
