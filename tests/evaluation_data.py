"""Bulk test data for the evaluation tests: many fiches, indicators and measurements
created in a handful of queries (bulk_create), so that query counts can be compared
at two data sizes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from actions.models import ActionSheet, Approval, FundingLine, Objective
from conventions.models import Convention, Meeting, Thematic
from conventions.services.data_version import convention_data_changed
from evaluation.models import ChangeSought, Indicator, Measurement, Observation, ProgressMarker
from evaluation.readmodel import progress_refresh
from reports.models import ProgressReport

STATUSES = [
    ActionSheet.Status.DRAFT,
    ActionSheet.Status.SUBMITTED,
    ActionSheet.Status.VALIDATED,
    ActionSheet.Status.IN_PROGRESS,
    ActionSheet.Status.DONE,
]


def populate(
    convention: Convention,
    *,
    sheets: int,
    indicators_per_sheet: int = 1,
    measurements: int = 3,
    prefix: str = "FA",
    committee=None,
    seat=None,
) -> list[Indicator]:
    """Fiches in every status, indicators (increase, decrease, maintain), yearly
    measurements, funding lines, an objective with an indicator, reports, a meeting,
    a change sought with markers and observations."""
    thematics = list(Thematic.objects.order_by("order")[:4])
    objective = Objective.objects.create(
        convention=convention, thematic=thematics[0], title=f"Objectif général {prefix}"
    )
    new_sheets = ActionSheet.objects.bulk_create(
        ActionSheet(
            convention=convention,
            number=f"{prefix}-{n + 1:03d}",
            title=f"Fiche {prefix} {n + 1}",
            thematic=thematics[n % len(thematics)],
            objective=objective if n % 3 == 0 else None,
            status=STATUSES[n % len(STATUSES)],
        )
        for n in range(sheets)
    )
    start = convention.start_date
    target_date = convention.end_date
    indicators = []
    for n, sheet in enumerate(new_sheets):
        for k in range(indicators_per_sheet):
            kind = (n + k) % 3
            indicators.append(
                Indicator(
                    action_sheet=sheet,
                    name=f"Indicateur {sheet.number}.{k + 1}",
                    unit="places",
                    baseline_value=Decimal([10, 30, 20][kind]),
                    baseline_date=start,
                    target_value=Decimal([30, 10, 20][kind]),
                    target_date=target_date,
                    direction=[
                        Indicator.Direction.INCREASE,
                        Indicator.Direction.DECREASE,
                        Indicator.Direction.MAINTAIN,
                    ][kind],
                )
            )
    indicators.append(
        Indicator(
            objective=objective,
            name=f"Indicateur de l'objectif {prefix}",
            baseline_value=Decimal(0),
            baseline_date=start,
            target_value=Decimal(100),
            target_date=target_date,
        )
    )
    indicators = Indicator.objects.bulk_create(indicators)
    Measurement.objects.bulk_create(
        Measurement(
            indicator=indicator,
            date=datetime.date(start.year + m, 12, 31),
            value=indicator.baseline_value
            + (indicator.target_value - indicator.baseline_value) * Decimal(m + 1) / 5
            if i % 4
            else indicator.baseline_value,
        )
        for i, indicator in enumerate(indicators)
        for m in range(measurements)
        if datetime.date(start.year + m, 12, 31) <= convention.end_date
    )
    FundingLine.objects.bulk_create(
        FundingLine(
            sheet=sheet,
            funder=["Caf", "Commune", "Département"][n % 3],
            year=start.year + 1,
            planned_amount=Decimal(10000),
            spent_amount=Decimal(2500 * (n % 4)),
        )
        for n, sheet in enumerate(new_sheets)
    )
    if seat is not None:
        Approval.objects.bulk_create(
            Approval(sheet=s, member=seat, version=s.version, decision="favorable")
            for s in new_sheets
            if s.status == ActionSheet.Status.SUBMITTED
        )
    if committee is not None:
        Meeting.objects.create(
            committee=committee,
            date=datetime.datetime(2099, 3, 14, 14, 0, tzinfo=datetime.UTC),
            location="Salle du conseil",
        )
    for year in range(3):
        ProgressReport.objects.get_or_create(
            convention=convention,
            period_start=datetime.date(start.year + year, 1, 1),
            period_end=datetime.date(start.year + year, 12, 31),
            defaults={"status": ProgressReport.Status.READY},
        )
    change = ChangeSought.objects.create(
        convention=convention,
        title=f"Les familles connaissent l'offre d'accueil ({prefix})",
        actor="Familles",
    )
    markers = ProgressMarker.objects.bulk_create(
        ProgressMarker(change=change, level=level, text=f"Marqueur {level}", order=i)
        for i, level in enumerate(["attendu", "souhaite", "ideal"])
    )
    Observation.objects.bulk_create(
        Observation(
            marker=markers[0],
            date=datetime.date(start.year + 1, 6, 1),
            degree="partiel",
            text="Premiers retours des familles",
        )
        for _ in range(2)
    )
    # As a service leaves it: the data version bumped and the progress read model refreshed.
    convention_data_changed(convention_id=convention.pk)
    progress_refresh(convention_id=convention.pk)
    return indicators
