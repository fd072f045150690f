"""The convention document as it would be signed: a PDF made with WeasyPrint.

Two parts:

- :func:`convention_document_data`, a selector gathering everything the document
  shows in a fixed number of queries (whatever the number of signatories,
  committees, members, findings, fiches, funding lines or indicators);
- :func:`render_convention_pdf`, which lays it out with
  ``templates/portal/document.html`` and returns the PDF bytes.

The annex (issue #4, item 7) holds one page per fiche action whose status is
*validée*, *en cours* or *réalisée* (``actions.workflow.VALIDATED``). The last
two are only reached from *validée* (the workflow goes brouillon → soumise →
validée → en cours → réalisée), so they are validated versions too, and a convention in
implementation keeps its whole validated action plan in its annex. Fiches
that are brouillon, soumise, à revoir or abandonnée are listed in Article 7
with their status but have no annex page: they have not been approved by both
sides of the committee (a substantively edited validée fiche goes back through
approval and leaves the annex until it is validated again).

Once indicators are measured, Article 8 also states where the convention stands
on the day the document is made: the progress per thematic, the late indicators
and the funding spent on planned per funder — the Synthèse's figures, read from
the same functions (:mod:`evaluation.progress`, :mod:`evaluation.funding`).
Article 7 counts the fiches per status.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from actions.models import ActionSheet, FundingLine
from actions.selectors import funding_totals
from actions.workflow import VALIDATED
from conventions.models import (
    Amendment,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Signatory,
)
from conventions.selectors import Parity
from diagnostics.models import Diagnostic, Finding
from evaluation.funding import funding_by_funder
from evaluation.models import Indicator
from evaluation.progress import late_indicators, progress_by_thematic_and_total


@dataclass
class Party:
    """One signing party, as it appears in Article 2 and in the signature blocks."""

    name: str
    kind: str  # "caf", "collectivity", "partner"
    description: str = ""  # e.g. "Communauté de communes (SIREN 200041614)"
    role: str = ""
    representative_name: str = ""
    representative_title: str = ""
    resolution_reference: str = ""
    resolution_date: object = None
    signed_on: object = None


@dataclass
class AnnexSheet:
    sheet: ActionSheet
    thematics: list
    communes: list
    funding_lines: list
    funder_totals: list[dict]  # funder, planned, spent (actions.selectors.funding_totals)
    planned_total: Decimal
    spent_total: Decimal
    indicators: list


@dataclass
class ThematicFindings:
    thematic: object
    count: int
    needs: int
    high_priority: int


@dataclass
class DocumentData:
    convention: Convention
    parties: list[Party]
    thematics: list
    territories: list
    committees: list[Committee]
    diagnostic: Diagnostic | None
    findings: list[ThematicFindings]
    findings_total: int
    sheets: list[ActionSheet]
    annex: list[AnnexSheet]
    indicator_count: int
    generated_on: object = field(default_factory=timezone.localdate)
    status_counts: list[dict] = field(default_factory=list)
    thematic_progress: list[dict] = field(default_factory=list)
    progress_summary: dict = field(default_factory=dict)
    late_indicators: list[Indicator] = field(default_factory=list)
    funding: list[dict] = field(default_factory=list)
    # The text's version is its amendments (avenants), not its phase changes: the
    # latest amendment included, None for the initial text.
    amendment: Amendment | None = None

    @property
    def version_label(self) -> str:
        """``Version initiale`` or ``Avenant n° 2 inclus`` (the cover of the document)."""
        if self.amendment is None:
            return "Version initiale"
        return f"Avenant n° {self.amendment.number} inclus"

    @property
    def has_progress(self) -> bool:
        """Something has been measured or spent: the document states where things stand."""
        return self.progress_summary.get("avg_progress") is not None or any(
            row["spent"] for row in self.funding
        )

    @property
    def caf(self):
        return self.convention.caf

    @property
    def territory_label(self) -> str:
        names = [t.name for t in self.territories] or [
            p.name for p in self.parties if p.kind == "collectivity"
        ]
        return ", ".join(names)


def _party(signatory: Signatory) -> Party:
    if signatory.collectivity_id:
        collectivity = signatory.collectivity
        code_label = "SIREN" if collectivity.kind == collectivity.Kind.EPCI else "code Insee"
        kind, name = "collectivity", collectivity.name
        description = f"{collectivity.get_kind_display()}, {code_label} {collectivity.code}"
    elif signatory.caf_id:
        kind, name = "caf", signatory.caf.name
        description = "Caisse d'allocations familiales"
    else:
        kind, name = "partner", signatory.partner_name
        description = signatory.get_partner_kind_display() if signatory.partner_kind else ""
        if description == name:
            description = ""
    return Party(
        name=name,
        kind=kind,
        description=description,
        role=signatory.get_role_display(),
        representative_name=signatory.representative_name,
        representative_title=signatory.representative_title,
        resolution_reference=signatory.resolution_reference,
        resolution_date=signatory.resolution_date,
        signed_on=signatory.signed_on,
    )


def _annex_sheet(sheet: ActionSheet) -> AnnexSheet:
    lines = list(sheet.funding_lines.all())
    totals = funding_totals(lines)  # the fiche page's totals
    return AnnexSheet(
        sheet=sheet,
        thematics=[sheet.thematic, *sheet.other_thematics.all()],
        communes=list(sheet.communes.all()),
        funding_lines=lines,
        funder_totals=totals["per_funder"],
        planned_total=totals["planned"],
        spent_total=totals["spent"],
        indicators=list(sheet.indicators.all()),
    )


def convention_document_data(
    *, convention: Convention, today: datetime.date | None = None
) -> DocumentData:
    """Everything the convention document shows (16 queries, whatever the sizes)."""
    today = today or timezone.localdate()
    signatories = list(
        Signatory.objects.filter(convention=convention)
        .select_related("collectivity", "caf")
        .order_by("order", "id")
    )
    parties = [_party(s) for s in signatories]
    if not any(p.kind == "caf" for p in parties):
        # The Caf is always a party to its convention, listed first.
        parties.insert(
            0,
            Party(
                name=convention.caf.name, kind="caf", description="Caisse d'allocations familiales"
            ),
        )
    else:
        parties.sort(key=lambda p: p.kind != "caf")

    committees = list(
        convention.committees.select_related("thematic")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CommitteeMember.objects.order_by("side", "name", "pk"),
            )
        )
        .order_by("kind", "name", "pk")
    )
    for committee in committees:
        members = list(committee.members.all())
        committee.caf_members = [m for m in members if m.side == Side.CAF]
        committee.territory_members = [m for m in members if m.side == Side.TERRITORY]
        committee.parity = Parity(
            caf=len(committee.caf_members), territory=len(committee.territory_members)
        )

    thematics = list(convention.thematics.order_by("order", "label"))
    diagnostic = Diagnostic.objects.filter(convention=convention).first()
    counts = {
        row["thematic"]: row
        for row in Finding.objects.filter(diagnostic__convention=convention)
        .values("thematic")
        .annotate(
            total=Count("pk"),
            needs=Count("pk", filter=Q(kind=Finding.Kind.NEED)),
            high=Count("pk", filter=Q(priority=Finding.Priority.HIGH)),
        )
        .order_by()
    }
    findings = [
        ThematicFindings(
            thematic=t,
            count=counts.get(t.pk, {}).get("total", 0),
            needs=counts.get(t.pk, {}).get("needs", 0),
            high_priority=counts.get(t.pk, {}).get("high", 0),
        )
        for t in thematics
    ]
    findings_total = sum(row["total"] for row in counts.values())

    sheets = list(
        ActionSheet.objects.filter(convention=convention)
        .select_related("thematic", "objective")
        .prefetch_related(
            "other_thematics",
            Prefetch("communes", queryset=Collectivity.objects.order_by("name")),
            Prefetch("funding_lines", queryset=FundingLine.objects.order_by("year", "funder")),
            Prefetch("indicators", queryset=Indicator.objects.order_by("pk")),
        )
        .order_by("number")
    )
    annex = [_annex_sheet(s) for s in sheets if s.status in VALIDATED]
    thematic_progress, progress_summary = progress_by_thematic_and_total(
        convention=convention, today=today
    )
    by_status = Counter(sheet.status for sheet in sheets)
    status_counts = [
        {"status": value, "label": label, "count": by_status.get(value, 0)}
        for value, label in ActionSheet.Status.choices
    ]

    return DocumentData(
        convention=convention,
        parties=parties,
        thematics=thematics,
        territories=list(convention.territories.order_by("name")),
        committees=committees,
        diagnostic=diagnostic,
        findings=findings,
        findings_total=findings_total,
        sheets=sheets,
        annex=annex,
        indicator_count=progress_summary["indicator_count"],
        generated_on=today,
        status_counts=status_counts,
        thematic_progress=thematic_progress,
        progress_summary=progress_summary,
        late_indicators=list(late_indicators(convention=convention, today=today)),
        funding=funding_by_funder(convention=convention),
        amendment=convention.amendments.order_by("-number").first(),
    )


def render_convention_html(*, data: DocumentData) -> str:
    with translation.override("fr"):
        return render_to_string("portal/document.html", {"doc": data, "c": data.convention})


def render_convention_pdf(*, data: DocumentData, base_url: str | None = None) -> bytes:
    """The PDF bytes of the convention document."""
    from weasyprint import HTML  # heavy import, only when a document is asked for

    html = render_convention_html(data=data)
    return HTML(string=html, base_url=base_url).write_pdf()
