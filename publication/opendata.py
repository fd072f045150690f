"""The open-data files of a published convention: their columns' one home.

Each table (fiches, indicateurs, mesures, subventions) is defined once here, column by
column: name, Table Schema type, title, description, required, and the function that reads
the value from the public plan (``publication.selectors.public_plan``). From that one
definition come:

- the Frictionless Table Schema shipped in the repository (``publication/schemas/<table>.json``,
  written by ``python manage.py publication_schemas``, checked by the tests and served at
  ``/public/schemas/<table>.json``);
- the CSV (UTF-8 without BOM, comma, a header row, CRLF line ends as RFC 4180 says) and the
  JSON (a Frictionless *tabular data resource* with its rows inline) of a convention.

Values are machine-readable: dates ISO 8601 (2024-12-31), numbers with a dot and no
grouping (12500.00), booleans ``true``/``false``, an empty cell (``null`` in JSON) for a
missing value. Progress figures come from ``evaluation.progress`` (the Synthèse's rule),
budget totals from ``actions.funding.funding_totals`` (through the plan), rounded by ``ctg.formatting.rounded``.
In the CSV only, a text cell starting like a formula (=, +, -, @) gets an apostrophe
(``ctg.spreadsheets.safe_cell``), as in every spreadsheet the application produces.

The subventions table follows the national format SCDL « Subventions » (version 1.1,
OpenDataFrance, schema.data.gouv.fr/scdl/subventions): its 14 columns, in its order and
under its names. The models carry no SIRET (neither for the funders nor for the pilots),
no decision reference, no payment terms and no notification to the European Commission:
those columns are left empty, so the file is not yet valid against the official SCDL
schema, where they are required.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from actions import workflow
from ctg.formatting import rounded
from ctg.spreadsheets import safe_cell
from evaluation import progress, sources
from evaluation.models import Indicator

from .selectors import PublicPlan

TABLE_SCHEMA = "https://frictionlessdata.io/schemas/table-schema.json"
LICENSE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
LIST_SEPARATOR = " ; "  # several values in one cell (thematics, communes, funders)
TYPES = ("string", "integer", "number", "date", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    title: str
    description: str
    value: Callable[..., Any]
    required: bool = False
    enum: tuple[str, ...] = ()
    pattern: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    true_value: str = "true"
    false_value: str = "false"

    def __post_init__(self):
        assert self.type in TYPES, self.type

    def field(self) -> dict:
        """The Table Schema field descriptor."""
        field: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
        }
        if self.type == "date":
            field["format"] = "default"  # ISO 8601, YYYY-MM-DD
        if self.type == "boolean":
            field["trueValues"] = [self.true_value]
            field["falseValues"] = [self.false_value]
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.max_length is not None:
            constraints["maxLength"] = self.max_length
        if constraints:
            field["constraints"] = constraints
        return field

    def csv_cell(self, value) -> str:
        if value is None:
            return ""
        if self.type == "boolean":
            return self.true_value if value else self.false_value
        if self.type == "date":
            return value.isoformat()
        if self.type == "number":
            return format(Decimal(value), "f")
        if self.type == "integer":
            return str(int(value))
        return safe_cell(str(value))

    def json_value(self, value):
        if value is None:
            return None
        if self.type == "date":
            return value.isoformat()
        if self.type == "number":
            # At most 14 significant digits (the models' max_digits): a float keeps them.
            return float(value)
        if self.type == "integer":
            return int(value)
        if self.type == "boolean":
            return bool(value)
        return str(value)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows_of: Callable[[PublicPlan], Sequence[Any]]
    primary_key: tuple[str, ...] = ()
    extra: dict | None = None  # more schema properties (the SCDL's homepage and version)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def table_schema(self) -> dict:
        schema: dict[str, Any] = {
            "$schema": TABLE_SCHEMA,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "fields": [c.field() for c in self.columns],
            "missingValues": [""],
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        schema.update(self.extra or {})
        return schema

    def values(self, plan: PublicPlan) -> list[list[Any]]:
        return [[c.value(item, plan) for c in self.columns] for item in self.rows_of(plan)]

    def csv(self, plan: PublicPlan) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.names)
        for row in self.values(plan):
            writer.writerow([c.csv_cell(v) for c, v in zip(self.columns, row, strict=True)])
        return out.getvalue()

    def json(self, plan: PublicPlan, *, schema_url: str, title: str) -> str:
        data = [
            {c.name: c.json_value(v) for c, v in zip(self.columns, row, strict=True)}
            for row in self.values(plan)
        ]
        resource = {
            "profile": "tabular-data-resource",
            "name": self.name,
            "title": title,
            "schema": schema_url,
            "licenses": [LICENSE],
            "data": data,
        }
        return json.dumps(resource, ensure_ascii=False, indent=1)


def schema_json(table: Table) -> str:
    """The shipped file's exact text (publication/schemas/<table>.json)."""
    return json.dumps(table.table_schema(), ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- helpers


def _joined(values) -> str:
    return LIST_SEPARATOR.join(v for v in values if v)


def _pct(value) -> Decimal | None:
    return rounded(value, 2)


def _iso_year(year: int) -> str:
    return f"{year:04d}-01-01/{year:04d}-12-31"


def _convention(item, plan: PublicPlan) -> str:
    return plan.convention.name


def _caf(item, plan: PublicPlan) -> str:
    return plan.convention.caf.name


def _sheet_number(indicator, plan: PublicPlan) -> str | None:
    sheet = indicator.action_sheet
    return sheet.number if sheet is not None else None


def _objective(indicator, plan: PublicPlan) -> str | None:
    if indicator.objective is not None:
        return indicator.objective.title
    sheet = plan.sheets_by_id.get(indicator.action_sheet_id)
    return sheet.objective.title if sheet is not None and sheet.objective else None


def _sheet_rows(plan: PublicPlan):
    return plan.sheets_with_budget()


def _funding_rows(plan: PublicPlan):
    return [(sheet, line) for sheet in plan.sheets for line in sheet.funding_lines.all()]


def _progress_status(indicator, plan: PublicPlan) -> str:
    return indicator.status


# --------------------------------------------------------------------------- the tables

SHEET_STATUSES = tuple(str(s) for s in workflow.VALIDATED)
DATE_PERIOD = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(/[0-9]{4}-[0-9]{2}-[0-9]{2})?$"

FICHES = Table(
    name="fiches",
    title="Fiches action",
    description=(
        "Les fiches action validées du plan d'actions de la convention (validées par le "
        "comité, en cours ou réalisées ; ni les brouillons ni les fiches en cours d'examen "
        "ou abandonnées), une ligne par fiche, avec leur budget total."
    ),
    primary_key=("fiche_id",),
    rows_of=_sheet_rows,
    columns=(
        Column(
            "convention",
            "string",
            "Convention",
            "Intitulé de la convention.",
            _convention,
            required=True,
        ),
        Column("caf", "string", "Caf", "Caf signataire de la convention.", _caf, required=True),
        Column(
            "fiche_id",
            "integer",
            "Identifiant de la fiche",
            "Identifiant stable de la fiche dans CTG (le même que dans l'API).",
            lambda r, p: r[0].pk,
            required=True,
            minimum=1,
        ),
        Column(
            "numero",
            "string",
            "Numéro",
            "Numéro de la fiche dans la convention (FA-01…).",
            lambda r, p: r[0].number,
            required=True,
        ),
        Column(
            "intitule",
            "string",
            "Intitulé",
            "Intitulé de la fiche action.",
            lambda r, p: r[0].title,
            required=True,
        ),
        Column(
            "statut",
            "string",
            "Statut (code)",
            "Statut de la fiche : validee, en_cours ou realisee.",
            lambda r, p: r[0].status,
            required=True,
            enum=SHEET_STATUSES,
        ),
        Column(
            "statut_libelle",
            "string",
            "Statut",
            "Statut de la fiche, en toutes lettres.",
            lambda r, p: r[0].get_status_display(),
            required=True,
        ),
        Column(
            "thematique",
            "string",
            "Thématique principale",
            "Thématique principale de la fiche.",
            lambda r, p: r[0].thematic.label,
            required=True,
        ),
        Column(
            "thematiques_secondaires",
            "string",
            "Autres thématiques",
            "Autres thématiques de la fiche, séparées par « ; ».",
            lambda r, p: _joined(t.label for t in r[0].other_thematics.all()) or None,
        ),
        Column(
            "objectif",
            "string",
            "Objectif",
            "Objectif du plan auquel la fiche répond.",
            lambda r, p: r[0].objective.title if r[0].objective else None,
        ),
        Column(
            "pilote",
            "string",
            "Pilote",
            "Organisation qui pilote l'action (jamais le nom d'une personne).",
            lambda r, p: r[0].lead or None,
        ),
        Column(
            "partenaires",
            "string",
            "Partenaires",
            "Partenaires de l'action.",
            lambda r, p: r[0].partners or None,
        ),
        Column(
            "public_vise",
            "string",
            "Public visé",
            "Public visé par l'action.",
            lambda r, p: r[0].target_public or None,
        ),
        Column(
            "communes",
            "string",
            "Communes concernées",
            "Communes concernées, séparées par « ; ».",
            lambda r, p: _joined(c.name for c in r[0].communes.all()) or None,
        ),
        Column(
            "communes_insee",
            "string",
            "Codes INSEE des communes",
            "Codes officiels des communes concernées, séparés par « ; ».",
            lambda r, p: _joined(c.code for c in r[0].communes.all()) or None,
        ),
        Column(
            "date_debut",
            "date",
            "Début",
            "Date de début de l'action.",
            lambda r, p: r[0].start_date,
        ),
        Column("date_fin", "date", "Fin", "Date de fin de l'action.", lambda r, p: r[0].end_date),
        Column(
            "description",
            "string",
            "Description",
            "Description de l'action.",
            lambda r, p: r[0].description or None,
        ),
        Column(
            "resultats_attendus",
            "string",
            "Résultats attendus",
            "Résultats attendus de l'action.",
            lambda r, p: r[0].expected_results or None,
        ),
        Column(
            "budget_prevu",
            "number",
            "Budget prévu (€)",
            "Somme des montants prévus du plan de financement, en euros.",
            lambda r, p: r[1]["planned"],
            required=True,
            minimum=0,
        ),
        Column(
            "budget_depense",
            "number",
            "Dépensé (€)",
            "Somme des montants dépensés du plan de financement, en euros.",
            lambda r, p: r[1]["spent"],
            required=True,
            minimum=0,
        ),
        Column(
            "financeurs",
            "string",
            "Financeurs",
            "Financeurs du plan de financement, séparés par « ; ».",
            lambda r, p: _joined(f["funder"] for f in r[1]["per_funder"]) or None,
        ),
    ),
)

INDICATEURS = Table(
    name="indicateurs",
    title="Indicateurs",
    description=(
        "Les indicateurs des fiches validées et des objectifs de la convention, avec leur "
        "dernière valeur et leur avancement calculés par la règle de la Synthèse : "
        "progression = (dernière valeur − référence) ÷ (cible − référence), comparée à la "
        "part du temps écoulée entre la date de référence et l'échéance."
    ),
    primary_key=("indicateur_id",),
    rows_of=lambda plan: plan.indicators,
    columns=(
        Column(
            "convention",
            "string",
            "Convention",
            "Intitulé de la convention.",
            _convention,
            required=True,
        ),
        Column(
            "indicateur_id",
            "integer",
            "Identifiant de l'indicateur",
            "Identifiant stable de l'indicateur dans CTG (le même que dans l'API).",
            lambda i, p: i.pk,
            required=True,
            minimum=1,
        ),
        Column(
            "fiche_numero",
            "string",
            "Fiche",
            "Numéro de la fiche qui porte l'indicateur (vide pour un indicateur d'objectif).",
            _sheet_number,
        ),
        Column(
            "objectif",
            "string",
            "Objectif",
            "Objectif qui porte l'indicateur, ou celui de sa fiche.",
            _objective,
        ),
        Column(
            "intitule",
            "string",
            "Intitulé",
            "Intitulé de l'indicateur.",
            lambda i, p: i.name,
            required=True,
        ),
        Column(
            "type",
            "string",
            "Type (code)",
            "realisation, resultat, moyens ou contexte.",
            lambda i, p: i.kind,
            required=True,
            enum=tuple(Indicator.Kind.values),
        ),
        Column("unite", "string", "Unité", "Unité des valeurs.", lambda i, p: i.unit or None),
        Column(
            "sens",
            "string",
            "Sens attendu (code)",
            "hausse, baisse ou maintien.",
            lambda i, p: i.direction,
            required=True,
            enum=tuple(Indicator.Direction.values),
        ),
        Column(
            "valeur_reference",
            "number",
            "Valeur de référence",
            "Valeur au point de départ.",
            lambda i, p: i.baseline_value,
            required=True,
        ),
        Column(
            "date_reference",
            "date",
            "Date de référence",
            "Date de la valeur de référence.",
            lambda i, p: i.baseline_date,
            required=True,
        ),
        Column(
            "valeur_cible",
            "number",
            "Valeur cible",
            "Valeur visée à l'échéance.",
            lambda i, p: i.target_value,
            required=True,
        ),
        Column(
            "date_cible",
            "date",
            "Échéance",
            "Date à laquelle la cible est visée.",
            lambda i, p: i.target_date,
            required=True,
        ),
        Column("source", "string", "Source", "Source des valeurs.", lambda i, p: i.source or None),
        Column(
            "frequence",
            "string",
            "Fréquence de mesure (code)",
            "monthly, quarterly, half_yearly ou yearly.",
            lambda i, p: i.frequency,
            required=True,
            enum=tuple(Indicator.Frequency.values),
        ),
        Column(
            "derniere_valeur",
            "number",
            "Dernière valeur",
            "Valeur de la mesure la plus récente.",
            lambda i, p: i.last_value,
        ),
        Column(
            "date_derniere_mesure",
            "date",
            "Date de la dernière mesure",
            "Date de la mesure la plus récente.",
            lambda i, p: i.last_date,
        ),
        Column(
            "progression_pct",
            "number",
            "Progression (%)",
            "Progression depuis la référence, en % du chemin vers la cible (peut dépasser 100 ou être négative), arrondie au centième.",
            lambda i, p: _pct(i.progress_pct),
        ),
        Column(
            "progression_attendue_pct",
            "number",
            "Progression attendue (%)",
            "Part du temps écoulée entre la référence et l'échéance à la date de la dernière mesure (aujourd'hui sans mesure), en %.",
            lambda i, p: _pct(i.expected_pct),
            minimum=0,
            maximum=100,
        ),
        Column(
            "etat",
            "string",
            "État (code)",
            "État d'avancement : " + ", ".join(progress.STATUS_LABELS) + ".",
            _progress_status,
            required=True,
            enum=tuple(progress.STATUS_LABELS),
        ),
        Column(
            "etat_libelle",
            "string",
            "État",
            "État d'avancement, en toutes lettres.",
            lambda i, p: progress.STATUS_LABELS[i.status],
            required=True,
        ),
        Column(
            "en_retard",
            "boolean",
            "En retard",
            "Vrai quand l'état est « en retard » (la seule définition d'un indicateur en retard).",
            lambda i, p: i.status == progress.LATE,
            required=True,
        ),
    ),
)

MESURES = Table(
    name="mesures",
    title="Mesures des indicateurs",
    description=(
        "Les valeurs mesurées des indicateurs publiés (table « indicateurs »), une ligne par "
        "indicateur et par date ; sans commentaire ni nom de la personne qui les a saisies."
    ),
    primary_key=("indicateur_id", "date"),
    rows_of=lambda plan: plan.measurements,
    columns=(
        Column(
            "convention",
            "string",
            "Convention",
            "Intitulé de la convention.",
            _convention,
            required=True,
        ),
        Column(
            "indicateur_id",
            "integer",
            "Identifiant de l'indicateur",
            "Renvoie à la colonne indicateur_id de la table « indicateurs ».",
            lambda m, p: m.indicator_id,
            required=True,
            minimum=1,
        ),
        Column(
            "indicateur",
            "string",
            "Indicateur",
            "Intitulé de l'indicateur.",
            lambda m, p: m.indicator.name,
            required=True,
        ),
        Column("date", "date", "Date", "Date de la mesure.", lambda m, p: m.date, required=True),
        Column(
            "valeur", "number", "Valeur", "Valeur mesurée.", lambda m, p: m.value, required=True
        ),
        Column(
            "unite", "string", "Unité", "Unité de la valeur.", lambda m, p: m.indicator.unit or None
        ),
        Column(
            "source",
            "string",
            "Source",
            "Source de la valeur (celle de l'indicateur).",
            lambda m, p: m.indicator.source or None,
        ),
        Column(
            "origine",
            "string",
            "Origine de la valeur",
            "D'où vient la valeur : saisie, import du classeur, ou données ouvertes de la Caf "
            "(producteur, jeu de données, millésime) ; sans le nom de personne.",
            lambda m, p: sources.public_label(m),
            required=True,
        ),
    ),
)

SCDL = {
    "homepage": "https://schema.data.gouv.fr/scdl/subventions/1.1.0/",
    "version": "1.1",
    "countryCode": "FR",
}

SUBVENTIONS = Table(
    name="subventions",
    title="Financements des fiches action (format SCDL « Subventions » 1.1)",
    description=(
        "Les lignes de financement des fiches action validées, au format national SCDL "
        "« Subventions » (version 1.1) : mêmes colonnes, même ordre. CTG ne connaît ni les "
        "SIRET (attribuant, bénéficiaire), ni la référence de la décision, ni les conditions "
        "de versement, ni la notification à la Commission européenne : ces colonnes restent "
        "vides, à compléter avant un dépôt sur data.gouv.fr. Le montant est le montant "
        "prévu de la ligne ; la période de versement, l'année de la ligne."
    ),
    rows_of=_funding_rows,
    extra=SCDL,
    columns=(
        Column(
            "nomAttribuant",
            "string",
            "Nom de l'attribuant",
            "Financeur de la ligne, tel que saisi dans le plan de financement.",
            lambda r, p: r[1].funder,
            required=True,
        ),
        Column(
            "idAttribuant",
            "string",
            "Identification de l'attribuant",
            "SIRET de l'attribuant : non connu de CTG, vide.",
            lambda r, p: None,
            pattern=r"^\d{14}$",
        ),
        Column(
            "dateConvention",
            "date",
            "Date de la convention de subvention",
            "Date de signature de la convention territoriale globale (vide si elle n'est pas signée).",
            lambda r, p: p.convention.signed_on,
        ),
        Column(
            "referenceDecision",
            "string",
            "Référence de la décision",
            "Non connue de CTG, vide.",
            lambda r, p: None,
        ),
        Column(
            "nomBeneficiaire",
            "string",
            "Nom du bénéficiaire",
            "Organisation pilote de la fiche action.",
            lambda r, p: r[0].lead or None,
        ),
        Column(
            "idBeneficiaire",
            "string",
            "Identification du bénéficiaire",
            "SIRET du bénéficiaire : non connu de CTG, vide.",
            lambda r, p: None,
            pattern=r"^\d{14}$",
        ),
        Column(
            "objet",
            "string",
            "Objet de la subvention",
            "Numéro et intitulé de la fiche action, et l'année.",
            lambda r, p: f"{r[0].number} {r[0].title} ({r[1].year})"[:255],
            required=True,
            max_length=255,
        ),
        Column(
            "montant",
            "number",
            "Montant total de la subvention",
            "Montant prévu de la ligne de financement, en euros.",
            lambda r, p: r[1].planned_amount,
            required=True,
            minimum=0,
        ),
        Column(
            "nature",
            "string",
            "Nature de la subvention",
            "Une ligne de financement est une aide en numéraire.",
            lambda r, p: "aide en numéraire",
            required=True,
            enum=(
                "aide en numéraire",
                "aide en nature",
                "aide en numéraire;aide en nature",
                "aide en nature;aide en numéraire",
            ),
        ),
        Column(
            "conditionsVersement",
            "string",
            "Conditions de versement",
            "Non connues de CTG, vide.",
            lambda r, p: None,
            max_length=255,
        ),
        Column(
            "datesPeriodeVersement",
            "string",
            "Date ou période de versement",
            "L'année de la ligne de financement, en période AAAA-MM-JJ/AAAA-MM-JJ.",
            lambda r, p: _iso_year(r[1].year),
            required=True,
            pattern=DATE_PERIOD,
        ),
        Column("idRAE", "string", "Numéro RAE", "Non connu de CTG, vide.", lambda r, p: None),
        Column(
            "notificationUE",
            "boolean",
            "Aide d'État notifiée à la Commission européenne",
            "Non connue de CTG, vide.",
            lambda r, p: None,
            true_value="oui",
            false_value="non",
        ),
        Column(
            "pourcentageSubvention",
            "number",
            "Part du montant attribuée au bénéficiaire",
            "Chaque ligne a un seul bénéficiaire, le pilote de la fiche : 1.",
            lambda r, p: Decimal(1),
            required=True,
            minimum=0,
            maximum=1,
        ),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (FICHES, INDICATEURS, MESURES, SUBVENTIONS)}
#: What the SCDL « Subventions » 1.1 format names its columns, in its order.
SCDL_COLUMNS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
)
assert tuple(SUBVENTIONS.names) == SCDL_COLUMNS
