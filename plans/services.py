"""The plan import: preview what a workbook would change, then apply it in one transaction.

:func:`plan_import_preview` writes nothing: it reads the workbook (:mod:`plans.workbook`),
resolves its references against the convention (thematics, objectives, communes, fiches by
number, indicators by code or name, funding lines by funder and year), validates every row
as the models would (``full_clean``) and counts, per sheet, what is new, changed and
unchanged — every bad cell with its sheet, row and column. :func:`plan_import_confirm` does
it again under the convention's row lock (time passed since the preview) and applies it
through the action plan's services (``actions.services.action_sheet_save``: numbering,
new versions of approved fiches, history with the reason « Import du plan : <fichier> »).

Rules of the import (explained in the workbook's « Mode d'emploi »):

- nothing is deleted: a row absent from the workbook leaves its fiche, indicator or
  funding line as it is; the same workbook imported twice changes nothing;
- keys: the fiche number, the objective's title, the indicator's code in its fiche (or,
  without a code, its name), the funding line's funder and year;
- a new fiche starts « brouillon »; « validée », « en cours » or « réalisée » only on a
  convention already signed and taken over (:func:`is_historical`), recorded as such in its
  history; an existing fiche's status changes on its page, never by import;
- the import is open to Caf staff on a convention in its diagnostic or plan phase, or on a
  convention taken over (:func:`import_refusal`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from actions import exports, selectors, services, workflow
from actions.models import ActionSheet, ActionSheetTransition, FundingLine, Objective
from conventions.models import Collectivity, Convention, Thematic, User
from conventions.services.data_version import convention_data_changed
from evaluation.models import Indicator, code_for
from evaluation.readmodel import progress_refresh

from .models import PlanImport
from .workbook import CellError, ParsedPlan, PlanRow, norm, parse_plan

Phase = Convention.Phase
Status = ActionSheet.Status

FICHES, OBJECTIVES = exports.FICHES_SHEET, exports.OBJECTIVES_SHEET
INDICATORS, FUNDING = exports.INDICATORS_SHEET, exports.FUNDING_SHEET
#: The phases in which a plan is written, hence imported.
IMPORT_PHASES = (Phase.PREPARATION, Phase.DIAGNOSTIC, Phase.ACTION_PLAN)
#: The statuses a new fiche may take from the workbook of a historical convention.
HISTORICAL_STATUSES = workflow.VALIDATED
TAKEOVER_REASON = "Reprise de l'existant"

SHEET_TEXT_FIELDS = (
    "title",
    "context",
    "goals",
    "description",
    "target_public",
    "lead",
    "partners",
    "expected_results",
)
INDICATOR_DEFAULTS = {
    "kind": Indicator.Kind.OUTPUT,
    "unit": "",
    "direction": Indicator.Direction.INCREASE,
    "frequency": Indicator.Frequency.YEARLY,
    "source": "",
}


def import_refusal(convention: Convention) -> str | None:
    """Why the plan of ``convention`` cannot be imported now (``None``: it can)."""
    if convention.is_takeover or convention.phase in IMPORT_PHASES:
        return None
    return (
        "Le plan d'actions s'importe pendant le diagnostic ou l'écriture du plan (phase "
        f"actuelle : « {Phase(convention.phase).label} »), ou sur une convention reprise de "
        "l'existant."
    )


def is_historical(convention: Convention) -> bool:
    """A convention signed before the tool, taken over: its fiches may arrive validated."""
    return convention.is_takeover and convention.signed_on is not None


def reason_for(filename: str) -> str:
    return f"Import du plan : {filename}"[:250]


# --------------------------------------------------------------------------- the preview


@dataclass
class Change:
    """A row that the import creates or changes."""

    sheet: str
    row: int
    key: str
    kind: str  # "new" or "changed"
    fields: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class FicheOp:
    number: str
    sheet: ActionSheet | None
    data: dict[str, Any] = field(default_factory=dict)
    objective_key: str | None = None
    sets_objective: bool = False
    m2m: dict[str, list] = field(default_factory=dict)
    status: str = Status.DRAFT
    funding: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    new_codes: list[str] = field(default_factory=list)
    changed: bool = False
    row: int | None = None  # its row in « Fiches action » (None: named by other sheets only)
    changed_fields: list[str] = field(default_factory=list)


@dataclass
class ObjectiveOp:
    objective: Objective | None
    values: dict[str, Any]
    parent_key: str | None
    changed: bool


@dataclass
class PlanPreview:
    errors: list[CellError] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    objectives: list[ObjectiveOp] = field(default_factory=list)
    fiches: dict[str, FicheOp] = field(default_factory=dict)
    historical: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return any(c["new"] or c["changed"] for c in self.counts.values())

    def count(self, sheet: str, kind: str) -> None:
        self.counts.setdefault(sheet, {"new": 0, "changed": 0, "unchanged": 0})[kind] += 1

    def summary(self) -> str:
        """« 12 fiches nouvelles, 3 modifiées, 41 indicateurs, 30 lignes de financement »."""
        return summary_of(self.counts)


NOUNS = {
    OBJECTIVES: ("objectif", "objectifs", "nouveau", "nouveaux", "modifié", "modifiés"),
    FICHES: ("fiche", "fiches", "nouvelle", "nouvelles", "modifiée", "modifiées"),
    INDICATORS: ("indicateur", "indicateurs", "nouveau", "nouveaux", "modifié", "modifiés"),
    FUNDING: (
        "ligne de financement",
        "lignes de financement",
        "nouvelle",
        "nouvelles",
        "modifiée",
        "modifiées",
    ),
}


def summary_of(counts: dict[str, dict[str, int]]) -> str:
    parts = []
    for sheet, (one, many, new_one, new_many, mod_one, mod_many) in NOUNS.items():
        c = counts.get(sheet, {})
        new, changed = c.get("new", 0), c.get("changed", 0)
        if not new and not changed:
            continue
        bits = []
        if new:
            bits.append(f"{new} {one if new == 1 else many} {new_one if new == 1 else new_many}")
        if changed:
            noun = "" if new else f"{one if changed == 1 else many} "
            bits.append(f"{changed} {noun}{mod_one if changed == 1 else mod_many}")
        parts.append(", ".join(bits))
    return ", ".join(parts) if parts else "aucun changement"


def _model_errors(exc: ValidationError, row: PlanRow, labels: dict[str, str]) -> list[CellError]:
    errors = []
    for name, messages in exc.message_dict.items():
        if name in row.bad:
            continue  # its cell is already reported
        for message in messages:
            letter = row.letters.get(name)
            text = message if letter or name not in labels else f"{labels[name]} : {message}"
            errors.append(CellError(row.sheet, row.row, letter, text))
    return errors


def _norm_value(value):
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(value).normalize()
    return value


def _differs(obj, values: dict[str, Any]) -> list[str]:
    """The fields of ``values`` whose value differs from ``obj``'s (relations by id)."""
    changed = []
    for name, value in values.items():
        model_field = obj._meta.get_field(name)
        current = getattr(obj, model_field.attname)
        if model_field.is_relation:
            value = getattr(value, "pk", value)
        if _norm_value(current) != _norm_value(value):
            changed.append(name)
    return changed


class _Context:
    """What the preview resolves references against (a fixed number of queries)."""

    def __init__(self, convention: Convention):
        self.convention = convention
        self.thematics: dict[str, Thematic] = {}
        for t in Thematic.objects.all():
            self.thematics[norm(t.label)] = t
            self.thematics.setdefault(norm(t.code), t)
        self.objectives: dict[str, list[Objective]] = {}
        for o in convention.objectives.select_related("thematic", "parent"):
            self.objectives.setdefault(norm(o.title), []).append(o)
        # The thematics a fiche may take (the form's rule); a fiche keeps those it carries.
        self.offered = set(
            selectors.thematics_offered(convention=convention).values_list("pk", flat=True)
        )
        self.communes: dict[str, list[Collectivity]] = {}
        for c in selectors.communes_for(convention=convention):
            self.communes.setdefault(norm(c.name), []).append(c)
        self.sheets: dict[str, ActionSheet] = {
            norm(s.number): s
            for s in convention.action_sheets.select_related("objective").prefetch_related(
                "other_thematics", "communes", "indicators", "funding_lines"
            )
        }


def _label(columns, name: str) -> str:
    return next((c.label for c in columns if c.field == name), name)


def _labels(columns) -> dict[str, str]:
    return {c.field: c.label for c in columns if c.field}


def _thematic(ctx: _Context, row: PlanRow, name: str, preview: PlanPreview):
    value = row.values.get(name)
    if value is None:
        return None
    found = ctx.thematics.get(norm(value))
    if found is None:
        preview.errors.append(
            row.error(name, f"thématique inconnue « {value[:60]} » : choisissez-la dans la liste.")
        )
    return found


def _offered(ctx: _Context, thematic, carried: set, row: PlanRow, name, preview) -> bool:
    if thematic.pk in ctx.offered or thematic.pk in carried:
        return True
    preview.errors.append(
        row.error(
            name,
            f"la thématique « {thematic.label} » n'est pas couverte par la convention : "
            "choisissez-en une de la liste, ou ajoutez-la aux thématiques de la convention.",
        )
    )
    return False


def _objectives(ctx: _Context, parsed: ParsedPlan, preview: PlanPreview) -> set[str]:
    """Objectives of the workbook; returns the keys of every objective known (file and base)."""
    rows = parsed.rows.get(OBJECTIVES, [])
    labels = _labels(exports.OBJECTIVE_COLUMNS)
    in_file: dict[str, PlanRow] = {}
    for row in rows:
        if "title" in row.values:
            key = norm(row.values["title"])
            if key in in_file:
                preview.errors.append(
                    row.error("title", f"objectif déjà décrit ligne {in_file[key].row}.")
                )
                continue
            in_file[key] = row
    known = set(in_file) | set(ctx.objectives)
    general = {k for k, r in in_file.items() if r.values.get("level") != "operational"} | {
        k for k, objs in ctx.objectives.items() if objs[0].level == Objective.Level.GENERAL
    }
    for key, row in in_file.items():
        thematic = _thematic(ctx, row, "thematic", preview)
        parent_key = norm(row.values["parent"]) if row.values.get("parent") else None
        level = row.values.get("level") or (
            Objective.Level.OPERATIONAL if parent_key else Objective.Level.GENERAL
        )
        if parent_key:
            if parent_key == key or parent_key not in known:
                preview.errors.append(
                    row.error(
                        "parent",
                        f"objectif général « {row.values['parent'][:60]} » introuvable "
                        "(ni dans la feuille « Objectifs », ni dans la convention).",
                    )
                )
                continue
            if parent_key not in general:
                preview.errors.append(
                    row.error("parent", "seul un objectif général peut en regrouper d'autres.")
                )
                continue
            if level != Objective.Level.OPERATIONAL:
                preview.errors.append(
                    row.error(
                        "level", "un objectif rattaché à un objectif général est « opérationnel »."
                    )
                )
                continue
        existing = ctx.objectives.get(key, [])
        if len(existing) > 1:
            preview.errors.append(
                row.error(
                    "title",
                    "plusieurs objectifs de la convention portent cet intitulé : "
                    "renommez-les sur la page du plan avant l'import.",
                )
            )
            continue
        if thematic is None:
            continue
        values = {
            "title": row.values["title"],
            "level": level,
            "thematic": thematic,
            "change_sought": row.values.get("change_sought", ""),
        }
        candidate = copy.copy(existing[0]) if existing else Objective(convention=ctx.convention)
        for name, value in values.items():
            setattr(candidate, name, value)
        try:
            # The thematic comes from the database already (no query per row).
            candidate.full_clean(exclude=["parent", "stake", "thematic"], validate_unique=False)
        except ValidationError as exc:
            preview.errors.extend(_model_errors(exc, row, labels))
            continue
        if existing:
            obj = existing[0]
            changed = _differs(obj, values)
            current_parent = norm(obj.parent.title) if obj.parent_id else None
            if "parent" in row.letters and current_parent != parent_key:
                changed.append("parent")
            if changed:
                preview.count(OBJECTIVES, "changed")
                preview.changes.append(
                    Change(
                        OBJECTIVES,
                        row.row,
                        values["title"],
                        "changed",
                        [labels.get(n, n) for n in changed],
                    )
                )
                preview.objectives.append(ObjectiveOp(obj, values, parent_key, True))
            else:
                preview.count(OBJECTIVES, "unchanged")
        else:
            preview.count(OBJECTIVES, "new")
            preview.changes.append(Change(OBJECTIVES, row.row, values["title"], "new"))
            preview.objectives.append(ObjectiveOp(None, values, parent_key, True))
    return known


def _fiche(ctx, row: PlanRow, known_objectives, preview: PlanPreview) -> FicheOp | None:
    labels = _labels(exports.COLUMNS)
    number = row.values.get("number")
    if not number:
        return None
    sheet = ctx.sheets.get(norm(number))
    op = FicheOp(number=sheet.number if sheet else number, sheet=sheet)
    ok = True
    thematic = _thematic(ctx, row, "thematic", preview)
    carried = set()
    if sheet is not None:
        carried = {sheet.thematic_id} | {t.pk for t in sheet.other_thematics.all()}
    if thematic is not None and not _offered(ctx, thematic, carried, row, "thematic", preview):
        thematic = None
    ok &= thematic is not None
    data: dict[str, Any] = {"thematic": thematic}
    for name in SHEET_TEXT_FIELDS:
        if name in row.letters:
            data[name] = row.values.get(name, "")
    for name in ("start_date", "end_date"):
        if name in row.letters:
            data[name] = row.values.get(name)
    if "no_funding" in row.letters:  # a blank cell: « non »
        data["no_funding"] = row.values.get("no_funding", False)
    if "other_thematics" in row.letters:
        found = []
        for label in row.values.get("other_thematics", []):
            thematic_ = ctx.thematics.get(norm(label))
            if thematic_ is None:
                preview.errors.append(
                    row.error("other_thematics", f"thématique inconnue « {label[:60]} ».")
                )
                ok = False
            elif not _offered(ctx, thematic_, carried, row, "other_thematics", preview):
                ok = False
            else:
                found.append(thematic_)
        op.m2m["other_thematics"] = found
    if "communes" in row.letters:
        found = []
        for name in row.values.get("communes", []):
            # The communes the fiche already concerns stay accepted (as its thematics).
            communes = ctx.communes.get(norm(name), []) or [
                c for c in (sheet.communes.all() if sheet else []) if norm(c.name) == norm(name)
            ]
            if len(communes) != 1:
                preview.errors.append(
                    row.error(
                        "communes",
                        f"commune « {name[:60]} » "
                        + (
                            "ambiguë (plusieurs communes de ce nom)."
                            if communes
                            else "inconnue : seules les communes couvertes par la convention (ou "
                            "membres d'un EPCI signataire) sont acceptées."
                        ),
                    )
                )
                ok = False
            else:
                found.append(communes[0])
        op.m2m["communes"] = found
    if "objective" in row.letters:
        op.sets_objective = True
        title = row.values.get("objective")
        op.objective_key = norm(title) if title else None
        if title and op.objective_key not in known_objectives:
            preview.errors.append(
                row.error(
                    "objective",
                    f"objectif « {title[:60]} » introuvable : décrivez-le "
                    "dans la feuille « Objectifs » (même intitulé).",
                )
            )
            ok = False
    status = row.values.get("status")
    if sheet is None:
        if status and status != Status.DRAFT:
            if status not in HISTORICAL_STATUSES or not preview.historical:
                preview.errors.append(
                    row.error(
                        "status",
                        "une fiche importée commence « Brouillon » ; « Validée », « En cours » "
                        "ou « Réalisée » ne sont acceptés que pour une convention signée, "
                        "reprise de l'existant.",
                    )
                )
                ok = False
            else:
                op.status = status
    elif status and status != sheet.status:
        preview.errors.append(
            row.error(
                "status",
                f"la fiche est « {sheet.get_status_display()} » : son statut change sur sa page "
                "(soumission au comité, avis), pas par import.",
            )
        )
        ok = False
    if not ok or thematic is None:
        return None
    candidate = copy.copy(sheet) if sheet else ActionSheet(convention=ctx.convention)
    candidate.number = op.number
    for name, value in data.items():
        setattr(candidate, name, value)
    try:
        candidate.full_clean(
            exclude=["revision", "objective", "convention", "thematic", "lead_user"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        preview.errors.extend(_model_errors(exc, row, labels))
        return None
    if sheet is None:
        data["number"] = number
        op.data = data
        op.changed = True
        return op
    changed = _differs(sheet, data)
    for name, values in op.m2m.items():
        if {v.pk for v in values} != {v.pk for v in getattr(sheet, name).all()}:
            changed.append(name)
    if op.sets_objective:
        current = norm(sheet.objective.title) if sheet.objective_id else None
        if current != op.objective_key:
            changed.append("objective")
    if changed:
        op.data = {k: v for k, v in data.items() if k in changed or k == "thematic"}
        op.m2m = {k: v for k, v in op.m2m.items() if k in changed}
        op.sets_objective = "objective" in changed
        op.changed = True
        op.changed_fields = [labels.get(n, n) for n in changed]
    return op


def _fiches(ctx, parsed, known_objectives, preview: PlanPreview) -> None:
    seen: dict[str, int] = {}
    for row in parsed.rows.get(FICHES, []):
        number = row.values.get("number")
        if not number:
            continue
        key = norm(number)
        if key in seen:
            preview.errors.append(
                row.error("number", f"la fiche {number} figure déjà ligne {seen[key]}.")
            )
            continue
        seen[key] = row.row
        op = _fiche(ctx, row, known_objectives, preview)
        if op is None:
            continue
        preview.fiches[key] = op
        op.row = row.row


def _fiche_for(ctx, preview, parsed_keys, row: PlanRow) -> FicheOp | None:
    """The fiche a row of « Indicateurs » or « Financements » belongs to."""
    number = row.values.get("sheet")
    if not number:
        return None
    key = norm(number)
    op = preview.fiches.get(key)
    if op is not None:
        return op
    if key in parsed_keys:
        return None  # the fiche's own row has errors, already listed
    sheet = ctx.sheets.get(key)
    if sheet is None:
        preview.errors.append(
            row.error(
                "sheet",
                f"fiche « {number[:20]} » introuvable (ni dans la feuille "
                "« Fiches action », ni dans la convention).",
            )
        )
        return None
    op = FicheOp(number=sheet.number, sheet=sheet)
    preview.fiches[key] = op
    return op


def _version_note(op: FicheOp) -> str:
    """What a change does to an approved (or submitted) fiche: a new version to approve."""
    if op.sheet is None or not workflow.is_versioned(op.sheet):
        return ""
    return (
        f"fiche {op.number} « {op.sheet.get_status_display()} » : la modification ouvre la "
        f"version {op.sheet.version + 1}, soumise à nouveau au comité"
    )


def _closed_refusal(op: FicheOp) -> str | None:
    return workflow.edit_refusal(op.sheet) if op.sheet is not None else None


def _indicators(ctx, parsed, parsed_keys, preview: PlanPreview) -> None:
    labels = _labels(exports.INDICATOR_COLUMNS)
    seen: dict[tuple, int] = {}
    wanted: dict[str, set[str]] = {}
    pending_new: list[tuple[FicheOp, dict]] = []
    for row in parsed.rows.get(INDICATORS, []):
        op = _fiche_for(ctx, preview, parsed_keys, row)
        if op is None or "name" not in row.values:
            continue
        code = row.values.get("code") or ""
        key = (norm(op.number), norm(code) if code else "nom:" + norm(row.values["name"]))
        if key in seen:
            preview.errors.append(
                row.error(
                    "code" if code else "name",
                    f"indicateur déjà décrit ligne {seen[key]} pour la fiche {op.number}.",
                )
            )
            continue
        seen[key] = row.row
        existing_all = list(op.sheet.indicators.all()) if op.sheet else []
        if code:
            matches = [i for i in existing_all if norm(i.code) == norm(code)]
        else:
            matches = [i for i in existing_all if norm(i.name) == norm(row.values["name"])]
            if len(matches) > 1:
                preview.errors.append(
                    row.error(
                        "name",
                        "plusieurs indicateurs de la fiche portent cet intitulé : "
                        "indiquez leur code.",
                    )
                )
                continue
        existing = matches[0] if matches else None
        values = {name: row.values[name] for name in row.values if name not in ("sheet", "code")}
        if existing is None:
            values = {**INDICATOR_DEFAULTS, **values}
        else:
            for name in row.letters:
                if name not in row.values and name in INDICATOR_DEFAULTS:
                    values[name] = INDICATOR_DEFAULTS[name]
        candidate = copy.copy(existing) if existing else Indicator()
        for name, value in values.items():
            setattr(candidate, name, value)
        candidate.action_sheet_id = op.sheet.pk if op.sheet else -1
        try:
            candidate.full_clean(
                exclude=["action_sheet", "objective", "code"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            preview.errors.extend(_model_errors(exc, row, labels))
            continue
        name = f"{op.number} — {values.get('name', existing.name if existing else '')}"
        if existing is None:
            preview.count(INDICATORS, "new")
            preview.changes.append(Change(INDICATORS, row.row, name, "new"))
            op.indicators.append(values)
            wanted.setdefault(op.number, set())
            if code:
                wanted[op.number].add(code)
            pending_new.append((op, {"code": code, "row": row}))
            op.changed = True
        else:
            changed = _differs(existing, values)
            if not changed:
                preview.count(INDICATORS, "unchanged")
                continue
            refused = _closed_refusal(op)
            if refused:
                preview.errors.append(row.error(None, refused))
                continue
            preview.count(INDICATORS, "changed")
            preview.changes.append(
                Change(
                    INDICATORS,
                    row.row,
                    name,
                    "changed",
                    [labels.get(n, n) for n in changed],
                    _version_note(op),
                )
            )
            op.indicators.append({"id": existing.pk, **values})
            op.changed = True
    # New indicators without a code get the next free ones of their fiche now, so that the
    # codes the workbook asks for and the ones given here never collide.
    for op, info in pending_new:
        if info["code"]:
            op.new_codes.append(info["code"])
            continue
        used = {i.code for i in op.sheet.indicators.all()} if op.sheet else set()
        used |= wanted.get(op.number, set())
        n = 1
        while code_for(n) in used:
            n += 1
        wanted[op.number].add(code_for(n))
        op.new_codes.append(code_for(n))


def _funding(ctx, parsed, parsed_keys, preview: PlanPreview) -> None:
    labels = _labels(exports.FUNDING_COLUMNS)
    seen: dict[tuple, int] = {}
    for row in parsed.rows.get(FUNDING, []):
        op = _fiche_for(ctx, preview, parsed_keys, row)
        if op is None or "funder" not in row.values or "year" not in row.values:
            continue
        funder, year = row.values["funder"], row.values["year"]
        key = (norm(op.number), norm(funder), year)
        if key in seen:
            preview.errors.append(
                row.error(
                    "funder",
                    f"le financeur « {funder[:60]} » a déjà une ligne "
                    f"{year} pour la fiche {op.number} (ligne {seen[key]}).",
                )
            )
            continue
        seen[key] = row.row
        existing = next(
            (
                line
                for line in (op.sheet.funding_lines.all() if op.sheet else [])
                if norm(line.funder) == norm(funder) and line.year == year
            ),
            None,
        )
        values = {
            "funder": funder,
            "year": year,
            # A blank nature keeps the line's own (an older workbook has no such column).
            "nature": row.values.get("nature")
            or (existing.nature if existing else FundingLine.Nature.OPERATING),
            "planned_amount": row.values.get("planned_amount", Decimal(0)),
            "spent_amount": row.values.get("spent_amount", Decimal(0)),
        }
        candidate = copy.copy(existing) if existing else FundingLine()
        for name, value in values.items():
            setattr(candidate, name, value)
        candidate.sheet_id = op.sheet.pk if op.sheet else -1
        try:
            candidate.full_clean(
                exclude=["sheet"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            preview.errors.extend(_model_errors(exc, row, labels))
            continue
        name = f"{op.number} — {funder} {year}"
        if existing is None:
            preview.count(FUNDING, "new")
            preview.changes.append(Change(FUNDING, row.row, name, "new"))
            op.funding.append(values)
            op.changed = True
            continue
        values["funder"] = existing.funder  # the key, as already written
        changed = _differs(existing, values)
        if not changed:
            preview.count(FUNDING, "unchanged")
            continue
        refused = _closed_refusal(op)
        if refused:
            preview.errors.append(row.error(None, refused))
            continue
        preview.count(FUNDING, "changed")
        preview.changes.append(
            Change(
                FUNDING,
                row.row,
                name,
                "changed",
                [labels.get(n, n) for n in changed],
                _version_note(op) if "spent_amount" not in changed or len(changed) > 1 else "",
            )
        )
        op.funding.append({"id": existing.pk, **values})
        op.changed = True


def _count_fiches(preview: PlanPreview) -> None:
    for op in preview.fiches.values():
        row, fields = op.row, op.changed_fields
        if row is None:
            continue  # a fiche named only by its indicators or funding lines
        if op.sheet is None:
            preview.count(FICHES, "new")
            note = (
                f"statut « {Status(op.status).label} » (reprise de l'existant)"
                if op.status != Status.DRAFT
                else ""
            )
            name = f"{op.number} — {op.data.get('title', '')}".rstrip(" —")
            preview.changes.append(Change(FICHES, row, name, "new", note=note))
        elif fields:
            refused = _closed_refusal(op)
            if refused:
                preview.errors.append(CellError(FICHES, row, None, refused))
                continue
            note = _version_note(op)
            preview.count(FICHES, "changed")
            name = f"{op.number} — {op.data.get('title', op.sheet.title)}"
            preview.changes.append(Change(FICHES, row, name, "changed", fields, note))
        else:
            preview.count(FICHES, "unchanged")


def _preview(convention: Convention, parsed: ParsedPlan) -> PlanPreview:
    preview = PlanPreview(errors=list(parsed.errors), historical=is_historical(convention))
    if not parsed.rows:
        return preview  # an unreadable or refused file: nothing to compare
    # The rows are compared even when some cells are bad, so that every error is listed at
    # once (references, statuses, model rules) beside the cells that could not be read.
    ctx = _Context(convention)
    known = _objectives(ctx, parsed, preview)
    _fiches(ctx, parsed, known, preview)
    parsed_keys = {
        norm(r.values["number"]) for r in parsed.rows.get(FICHES, []) if r.values.get("number")
    }
    _indicators(ctx, parsed, parsed_keys, preview)
    _funding(ctx, parsed, parsed_keys, preview)
    _count_fiches(preview)
    for sheet in exports.IMPORTED_SHEETS:
        preview.counts.setdefault(sheet, {"new": 0, "changed": 0, "unchanged": 0})
    order = list(exports.IMPORTED_SHEETS)
    preview.changes.sort(key=lambda c: (order.index(c.sheet), c.row))
    preview.errors.sort(
        key=lambda e: (
            list(exports.IMPORTED_SHEETS).index(e.sheet)
            if e.sheet in exports.IMPORTED_SHEETS
            else -1,
            e.row or 0,
        )
    )
    return preview


def plan_import_preview(*, convention: Convention, data: bytes) -> PlanPreview:
    """What importing ``data`` (the workbook's bytes) would do; writes nothing."""
    refused = import_refusal(convention)
    if refused:
        return PlanPreview(errors=[CellError("", None, None, refused)])
    return _preview(convention, parse_plan(data))


# --------------------------------------------------------------------------- the import


def _apply_objectives(convention, preview: PlanPreview, by: User, reason: str):
    by_key: dict[str, Objective] = {norm(o.title): o for o in convention.objectives.all()}
    ops = sorted(preview.objectives, key=lambda op: op.parent_key is not None)
    for op in ops:
        obj = op.objective or Objective(convention=convention)
        for name, value in op.values.items():
            setattr(obj, name, value)
        obj.parent = by_key.get(op.parent_key) if op.parent_key else None
        obj.full_clean()
        obj._history_user = by
        obj._change_reason = reason
        obj.save()
        by_key[norm(obj.title)] = obj
    return by_key


def _set_codes(
    sheet: ActionSheet, before: set[int], codes: list[str], *, by: User, reason: str
) -> None:
    """The codes asked for the indicators just created (created in the workbook's order),
    recorded in their history."""
    new = list(Indicator.objects.filter(action_sheet=sheet).exclude(pk__in=before).order_by("pk"))
    pairs = [(i, c) for i, c in zip(new, codes, strict=False) if c and i.code != c]
    for indicator, _code in pairs:  # two steps: a code asked may be another's meanwhile
        Indicator.objects.filter(pk=indicator.pk).update(code=f"~{indicator.pk}")
    for indicator, code in pairs:
        indicator.code = code
        indicator._history_user = by
        indicator._change_reason = reason
        indicator.save(update_fields=["code"])


def _historical_status(sheet: ActionSheet, status: str, by: User, filename: str) -> None:
    sheet = ActionSheet.objects.select_for_update().get(pk=sheet.pk)
    reason = f"{TAKEOVER_REASON} : {reason_for(filename)}"
    from_status = sheet.status
    sheet.status = status
    sheet.approved_version = sheet.version
    sheet.status_reason = reason
    sheet.revision += 1
    sheet._history_user = by
    sheet._change_reason = reason
    sheet.save()
    ActionSheetTransition.objects.create(
        sheet=sheet,
        from_status=from_status,
        to_status=status,
        version=sheet.version,
        by=by,
        reason=reason,
    )


@transaction.atomic
def plan_import_confirm(
    *, convention: Convention, data: bytes, filename: str, token: str, by: User
) -> PlanImport:
    """Import the workbook, all or nothing; the same token again returns the first import.

    The workbook is read and compared again (the plan may have changed since the preview);
    any bad cell refuses the whole import with the list of errors."""
    Convention.objects.select_for_update().only("pk").get(pk=convention.pk)
    convention_data_changed(convention_id=convention.pk)
    done = PlanImport.objects.filter(token=token).first()
    if done is not None:
        if done.convention_id != convention.pk:
            raise ValidationError("Cet aperçu ne concerne pas cette convention.")
        return done
    convention.refresh_from_db()
    preview = plan_import_preview(convention=convention, data=data)
    if not preview.ok:
        raise ValidationError([str(e) for e in preview.errors[:20]])
    reason = reason_for(filename)
    objectives = _apply_objectives(convention, preview, by, reason)
    for op in preview.fiches.values():
        if not op.changed:
            continue
        data_ = dict(op.data)
        if op.sets_objective:
            data_["objective"] = objectives.get(op.objective_key) if op.objective_key else None
        data_.update(op.m2m)
        before, revision = set(), None
        if op.sheet is not None:
            before = {i.pk for i in op.sheet.indicators.all()}
            revision = (
                ActionSheet.objects.filter(pk=op.sheet.pk)
                .values_list("revision", flat=True)
                .first()
            )
        sheet = services.action_sheet_save(
            convention=convention,
            by=by,
            data=data_,
            funding_lines=op.funding,
            indicators=op.indicators,
            sheet=op.sheet,
            revision=revision,
            change_reason=reason,
            refresh_progress=False,  # once, below
        )
        _set_codes(sheet, before, op.new_codes, by=by, reason=reason)
        if op.sheet is None and op.status != Status.DRAFT:
            _historical_status(sheet, op.status, by, filename)
    progress_refresh(convention_id=convention.pk)
    return PlanImport.objects.create(
        token=token,
        convention=convention,
        filename=filename[:255],
        imported_by=by,
        historical=preview.historical,
        counts=preview.counts,
    )


def import_summary(done: PlanImport) -> str:
    return summary_of(done.counts)
