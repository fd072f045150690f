"""The toolkit the demo data is written with: one way objects come to exist (``ensure``:
found by a natural key, created only when missing) and builders for the shapes every demo
convention repeats (committees, meetings, findings, fiches, indicators, changes sought)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from actions import workflow
from actions.models import (
    ActionSheet,
    ActionSheetTransition,
    Approval,
    FundingLine,
    Objective,
    Stake,
)
from conventions.models import (
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Thematic,
    User,
)
from diagnostics.models import (
    Diagnostic,
    Facility,
    Finding,
    StatisticDefinition,
    TerritoryStatistic,
)
from evaluation.models import ChangeSought, Indicator, Measurement, Observation, ProgressMarker


@dataclass
class DemoLogin:
    """A demo account, as ``seed_demo`` lists it at the end."""

    email: str
    role_label: str
    scope: str
    password_is_demo: bool


@dataclass
class SeedResult:
    """What a run created (count per model, plural verbose name) and the demo accounts."""

    created: Counter = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


class DemoBuilder:
    """Creates the demo's objects and counts them in ``result``."""

    def __init__(self, today: datetime.date | None = None) -> None:
        self.result = SeedResult()
        self.today = today or timezone.localdate()
        self.thematics = {t.code: t for t in Thematic.objects.all()}
        self.stats = {s.code: s for s in StatisticDefinition.objects.all()}

    # -- the one way objects come to exist --------------------------------------------
    def ensure(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        defaults: dict[str, Any] | None = None,
        m2m: dict[str, Any] | None = None,
    ) -> tuple[Any, bool]:
        """The first object matching ``lookup``, or a new validated one.

        An existing object is returned untouched (no save, so no history entry):
        that is what makes the seed idempotent and harmless to other data.
        """
        existing = model._default_manager.filter(**lookup).order_by("pk").first()
        if existing is not None:
            return existing, False
        obj = model(**lookup, **(defaults or {}))
        obj.full_clean()
        obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        self.result.created[model._meta.verbose_name_plural] += 1
        return obj, True

    def thematic(self, code: str) -> Thematic:
        return self.thematics[code]

    # -- governance ------------------------------------------------------------------
    def committee(
        self,
        convention: Convention,
        kind: str,
        name: str,
        members: list[tuple],
        defaults: dict[str, Any] | None = None,
    ) -> tuple[Committee, dict[str, CommitteeMember]]:
        """The committee and its seats by name; ``members`` are (side, name, function[, user])."""
        committee, _ = self.ensure(
            Committee, {"convention": convention, "kind": kind, "name": name}, defaults
        )
        seats = {}
        for side, member_name, function, *user in members:
            seats[member_name], _ = self.ensure(
                CommitteeMember,
                {"committee": committee, "name": member_name},
                {"side": side, "function": function, **({"user": user[0]} if user else {})},
            )
        return committee, seats

    def meetings(self, committee: Committee, *, past: tuple, upcoming: tuple) -> None:
        tz = timezone.get_current_timezone()
        when, agenda, location, minutes, decisions = past
        self.ensure(
            Meeting,
            {"committee": committee, "agenda": agenda},
            {
                "date": when.replace(tzinfo=tz),
                "location": location,
                "minutes": minutes,
                "decisions": decisions,
            },
        )
        # The upcoming meeting is dated from the first run, then left as it is.
        agenda, location = upcoming
        day = self.today + datetime.timedelta(days=30)
        self.ensure(
            Meeting,
            {"committee": committee, "agenda": agenda},
            {
                "date": datetime.datetime.combine(day, datetime.time(14, 0), tzinfo=tz),
                "location": location,
            },
        )

    # -- diagnostics -----------------------------------------------------------------
    def statistics(self, collectivity: Collectivity, rows: dict[str, dict[int, float]]) -> None:
        for code, by_year in rows.items():
            for year, value in by_year.items():
                self.ensure(
                    TerritoryStatistic,
                    {"collectivity": collectivity, "statistic": self.stats[code], "year": year},
                    {
                        "value": Decimal(str(value)),
                        "source": "Caf — données allocataires au 31 décembre"
                        if code != "taux-couverture"
                        else "Caf — observatoire petite enfance",
                    },
                )

    def findings(self, diagnostic: Diagnostic, rows: list[tuple]) -> dict[str, Finding]:
        found = {}
        for key, thematic, kind, priority, source, text in rows:
            finding, _ = self.ensure(
                Finding,
                {"diagnostic": diagnostic, "thematic": self.thematic(thematic), "text": text},
                {"kind": kind, "priority": priority, "source": source},
            )
            found[key] = finding
        return found

    def facilities(self, rows: list[tuple]) -> None:
        """Rows of (collectivity, kind, name, manager, places)."""
        for collectivity, kind, name, manager, places in rows:
            self.ensure(
                Facility,
                {"collectivity": collectivity, "kind": kind, "name": name},
                {"manager": manager, "places": places},
            )

    # -- action plans ----------------------------------------------------------------
    def objective(self, convention, thematic, title, change_sought, findings, stake_title=None):
        stake = None
        if stake_title:
            stake, _ = self.ensure(
                Stake,
                {"convention": convention, "title": stake_title},
                {"thematic": self.thematic(thematic)},
                m2m={"findings": findings},
            )
        objective, _ = self.ensure(
            Objective,
            {"convention": convention, "title": title},
            {
                "thematic": self.thematic(thematic),
                "stake": stake,
                "level": Objective.Level.GENERAL,
                "change_sought": change_sought,
            },
            m2m={"findings": findings},
        )
        return objective

    def sheet(self, convention: Convention, spec: dict, *, editor: User | None) -> ActionSheet:
        status = spec["status"]
        approved = status in workflow.VALIDATED
        sheet, created = self.ensure(
            ActionSheet,
            {"convention": convention, "number": spec["number"]},
            {
                "title": spec["title"],
                "thematic": self.thematic(spec["thematic"]),
                "objective": spec.get("objective"),
                "context": spec.get("context", ""),
                "goals": spec.get("goals", ""),
                "description": spec.get("description", ""),
                "target_public": spec.get("target_public", ""),
                "lead": spec.get("lead", ""),
                "lead_user": spec.get("lead_user"),
                "partners": spec.get("partners", ""),
                "start_date": spec.get("start"),
                "end_date": spec.get("end"),
                "expected_results": spec.get("expected_results", ""),
                "status": status,
                "status_reason": spec.get("status_reason", ""),
                "version": 1,
                "approved_version": 1 if approved else None,
                "created_by": editor,
                "submitted_by": editor if status != ActionSheet.Status.DRAFT else None,
            },
            m2m={
                "other_thematics": [self.thematic(c) for c in spec.get("other_thematics", [])],
                "communes": spec.get("communes", []),
            },
        )
        if created:
            # The statuses the fiche went through to reach its own (its recorded history).
            S = ActionSheet.Status
            path = {
                S.DRAFT: [],
                S.SUBMITTED: [S.DRAFT, S.SUBMITTED],
                S.VALIDATED: [S.DRAFT, S.SUBMITTED, S.VALIDATED],
                S.TO_REVIEW: [S.DRAFT, S.SUBMITTED, S.TO_REVIEW],
                S.IN_PROGRESS: [S.DRAFT, S.SUBMITTED, S.VALIDATED, S.IN_PROGRESS],
                S.DONE: [S.DRAFT, S.SUBMITTED, S.VALIDATED, S.IN_PROGRESS, S.DONE],
            }[status]
            for before, after in zip(path, path[1:], strict=False):
                ActionSheetTransition.objects.create(
                    sheet=sheet,
                    from_status=before,
                    to_status=after,
                    version=1,
                    by=editor,
                    reason="Reprise de l'historique lors de la mise en place de la démonstration.",
                )
                self.result.created[ActionSheetTransition._meta.verbose_name_plural] += 1
        for approval in spec.get("approvals", []):
            seat, decision, comment = approval
            self.ensure(
                Approval,
                {"sheet": sheet, "member": seat, "version": sheet.version},
                {"decision": decision, "comment": comment},
            )
        # (funder, year, planned, spent[, nature]): operating unless a nature is given.
        for funder, year, planned, spent, *nature in spec.get("funding", []):
            self.ensure(
                FundingLine,
                {"sheet": sheet, "funder": funder, "year": year},
                {
                    "planned_amount": Decimal(planned),
                    "spent_amount": Decimal(spent),
                    "nature": nature[0] if nature else FundingLine.Nature.OPERATING,
                },
            )
        for indicator_spec in spec.get("indicators", []):
            self.indicator(
                {"action_sheet": sheet}, indicator_spec, entered_by=spec.get("lead_user")
            )
        return sheet

    def indicator(self, owner: dict, spec: dict, *, entered_by: User | None) -> Indicator:
        indicator, _ = self.ensure(
            Indicator,
            {**owner, "name": spec["name"]},
            {
                "kind": spec.get("kind", Indicator.Kind.OUTPUT),
                "unit": spec.get("unit", ""),
                "baseline_value": Decimal(str(spec["baseline"][1])),
                "baseline_date": spec["baseline"][0],
                "target_value": Decimal(str(spec["target"][1])),
                "target_date": spec["target"][0],
                "direction": spec.get("direction", Indicator.Direction.INCREASE),
                "source": spec.get("source", ""),
                "frequency": spec.get("frequency", Indicator.Frequency.YEARLY),
            },
        )
        for day, value, comment in spec.get("measurements", []):
            self.ensure(
                Measurement,
                {"indicator": indicator, "date": day},
                {"value": Decimal(str(value)), "comment": comment, "entered_by": entered_by},
            )
        return indicator

    # -- the change-oriented side ----------------------------------------------------
    def changes(self, convention: Convention, specs: list[dict], *, observer: User | None) -> None:
        """Changes sought, each with its progress markers (level, text, observations)."""
        for spec in specs:
            change, _ = self.ensure(
                ChangeSought,
                {"convention": convention, "title": spec["title"]},
                {
                    "actor": spec["actor"],
                    "thematic": self.thematic(spec["thematic"]),
                    "objective": spec["objective"],
                },
            )
            for order, (level, text, observations) in enumerate(spec["markers"], start=1):
                marker, _ = self.ensure(
                    ProgressMarker,
                    {"change": change, "level": level, "text": text},
                    {"order": order},
                )
                for day, degree, text_obs in observations:
                    self.ensure(
                        Observation,
                        {"marker": marker, "date": day},
                        {"degree": degree, "text": text_obs, "observed_by": observer},
                    )
