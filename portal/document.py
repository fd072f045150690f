"""The convention document as it is signed: a PDF made with WeasyPrint.

- :func:`convention_document_data`, a selector gathering everything the document
  shows in a fixed number of queries (whatever the number of signatories,
  committees, members, findings, fiches, funding lines or indicators);
- :func:`render_convention_html` / :func:`render_convention_pdf`, which lay it out
  with ``templates/portal/document.html``;
- :func:`document_fingerprint`, the hash of what the document shows: the key of the
  built copies (:class:`portal.models.ConventionDocument`, :mod:`portal.services`);
- the legal wording of the parties: :func:`designation` (« la Caf de … »,
  « la commune de … », « le Département … ») and :func:`resolution_phrase`
  (« délibération n° X du … »).

A contract states commitments, not progress. The document shows no monitoring: no
spending, no current status of a fiche, no measurement, no state of progress — those
are in the progress reports (the reports app), which do not amend the convention.

The annex holds one page per fiche *as adopted*: every fiche that has an approved
version (``ActionSheet.approved_version``, set when both sides of the committee
validated it) and was not abandoned, shown in that version. While a fiche's current
version is its approved one, the fiche, its funding lines (funder, year, planned
amount) and its indicators (baseline, target) are read as they are; once a
substantive edit opened a newer version (still to be approved), they are read from
the history (simple-history) as they were when the approved version was the current
one. Fiches never approved are only counted in Article 7: they join the convention by
amendment once validated.

The text's version is its amendments (*avenants*): the cover says « Version
initiale » or « Intégrant l'avenant n° 2 du … », and Article 3 lists them.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from actions.funding import funding_totals
from actions.models import ActionSheet, FundingLine, Objective
from conventions.models import (
    Amendment,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Signatory,
    Thematic,
)
from conventions.selectors import Parity
from ctg import formatting
from diagnostics.models import Diagnostic, Finding
from evaluation.models import Indicator

# --------------------------------------------------------------------------- legal wording

_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"  # no elision before an h: many are aspirated
_ARTICLE = re.compile(r"^(?:(le|la|les)\s+|(l)['’]\s*)(?=\S)", re.IGNORECASE)

# The noun an organisation's name may start with: its gender, and whether it is a
# common noun written in lower case after the article (« la commune de Sorbiers »,
# « la communauté de communes … ») or part of a proper name kept as typed (« la Caf de
# la Loire », « le Département de Tarn-et-Garonne », « la Métropole de Lyon »).
_HEAD_NOUNS: dict[str, tuple[bool, bool]] = {  # noun: (feminine, lower case)
    "caf": (True, False),
    "caisse": (True, False),
    "msa": (True, False),
    "mutualité": (True, False),
    "cpam": (True, False),
    "carsat": (True, False),
    "commune": (True, True),
    "ville": (True, True),
    "mairie": (True, True),
    "communauté": (True, True),
    "métropole": (True, False),
    "département": (False, False),
    "conseil": (False, False),
    "syndicat": (False, True),
    "sivu": (False, False),
    "sivom": (False, False),
    "état": (False, False),
    "préfecture": (True, False),
    "région": (True, False),
    "association": (True, True),
    "fédération": (True, False),
    "union": (True, False),
    "agence": (True, False),
    "direction": (True, False),
    "centre": (False, False),
    "office": (False, False),
    "établissement": (False, False),
    "groupement": (False, False),
    "ccas": (False, False),
    "cias": (False, False),
    "udaf": (True, False),
    "epci": (False, False),
    "éducation": (True, False),
    "académie": (True, False),
    "maison": (True, False),
    "institut": (False, False),
}
# A commune's own name may start with one of these nouns (« L'Union », « Union »): only
# these lead a commune's name as the noun of its kind.
_COMMUNE_NOUNS = ("commune", "ville", "mairie")
# Abbreviated names of intercommunalities (« CC des Deux Rives »).
_EPCI_ABBREVIATIONS = {
    "cc": "communauté de communes",
    "ca": "communauté d'agglomération",
    "cu": "communauté urbaine",
}
# The partners (Signatory.PartnerKind) whose name may omit the body they belong to.
_PARTNER_NOUNS = {"msa": "MSA", "cpam": "CPAM", "carsat": "Carsat"}


@dataclass(frozen=True)
class Designation:
    """How a legal act names a party: « la commune de Laguépie » (feminine)."""

    text: str
    feminine: bool

    def __str__(self) -> str:
        return self.text

    @property
    def represented(self) -> str:
        """« représentée » / « représenté »: agrees with the party, not with its representative."""
        return "représentée" if self.feminine else "représenté"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _with_article(text: str, *, feminine: bool) -> str:
    if text[:1].lower() in _VOWELS:
        return f"l'{text}"
    return f"{'la' if feminine else 'le'} {text}"


def _of(name: str) -> str:
    """« de Laguépie », « d'Albi », « du Mans », « des Sables-d'Olonne », « de La Rochelle »."""
    match = re.match(r"^(Le|Les)\s+(.+)$", name)
    if match:
        return f"{'du' if match.group(1) == 'Le' else 'des'} {match.group(2)}"
    if name[:1].lower() in _VOWELS:
        return f"d'{name}"
    return f"de {name}"


def _split_article(name: str) -> tuple[str, str]:
    """(« la », « Caf de … ») for « La Caf de … »; ("", name) without an article."""
    match = _ARTICLE.match(name)
    if not match:
        return "", name
    article = (match.group(1) or match.group(2)).lower()
    return ("l'" if article == "l" else article), name[match.end() :]


def _join(article: str, rest: str) -> str:
    return f"{article}{rest}" if article.endswith("'") else f"{article} {rest}"


def _head(text: str) -> str:
    return re.split(r"[\s,]", text, maxsplit=1)[0].lower()


def designation(name: str, kind: str) -> Designation:
    """The party as a legal act names it, with its article and its gender.

    ``kind`` is a collectivity's kind (``commune``, ``epci``, ``departement``,
    ``syndicat``, ``other``), ``caf``, or a partner's kind (``msa``, ``etat``, ``cpam``,
    ``carsat``, ``departement``, ``other``)::

        Caf de Tarn-et-Garonne, caf           → la Caf de Tarn-et-Garonne
        Laguépie, commune                     → la commune de Laguépie
        Le Mans, commune                      → la commune du Mans
        Communauté de communes Quercy…, epci  → la communauté de communes Quercy…
        CC des Deux Rives, epci               → la communauté de communes des Deux Rives
        Département de Tarn-et-Garonne        → le Département de Tarn-et-Garonne
        État, etat                            → l'État

    A name that starts with the noun of its kind (« Commune de Sorbiers », « Conseil
    départemental de la Loire », « Association … ») takes that noun's article; a
    name already written with its article keeps it. A name of unknown gender is
    written as it is and agrees in the masculine.
    """
    name = " ".join((name or "").split())
    if not name:
        return Designation("", feminine=False)
    article, rest = _split_article(name)
    head = _head(rest)
    if head in _HEAD_NOUNS and (kind != "commune" or head in _COMMUNE_NOUNS):
        feminine, lower = _HEAD_NOUNS[head]
        body = _lower_first(rest) if lower else rest
        return Designation(_with_article(body, feminine=feminine), feminine=feminine)
    if kind == "commune":
        return Designation(f"la commune {_of(name)}", feminine=True)
    if kind == "departement":
        return Designation(f"le Département {_of(name)}", feminine=False)
    if kind == "caf":
        return Designation(f"la Caf {_of(name)}", feminine=True)
    if article:  # an organisation named with its article: « La Poste »
        return Designation(_join(article, rest), feminine=article == "la")
    if kind == "epci":
        words = name.split(" ", 1)
        if head in _EPCI_ABBREVIATIONS and len(words) == 2:
            return Designation(f"la {_EPCI_ABBREVIATIONS[head]} {words[1]}", feminine=True)
        return Designation(f"l'EPCI {name}", feminine=False)
    if kind == "syndicat":
        return Designation(f"le syndicat {name}", feminine=False)
    if kind in _PARTNER_NOUNS:
        return Designation(f"la {_PARTNER_NOUNS[kind]} {name}", feminine=True)
    return Designation(name, feminine=False)


_DATE_IN_TEXT = re.compile(
    r"\d{1,2}/\d{1,2}/\d{2,4}|\b\d{1,2}(?:er)?\s+(?:" + "|".join(formatting.MONTHS) + r")\b",
    re.IGNORECASE,
)
_NUMBER_PREFIX = re.compile(r"^(?:n\s*°|no\.?(?=\s*\d)|num(?:éro|ero)\.?)\s*", re.IGNORECASE)


def resolution_phrase(reference: str, day: datetime.date | None) -> str:
    """The council resolution (*délibération*) that empowers a representative.

    « délibération n° 2021-118 du 25 novembre 2021 » when the reference is a number,
    « délibération du conseil municipal du 2 décembre 2021 » when it is a description
    (« Délibération du conseil municipal »), « délibération du 2 décembre 2021 » with
    the date alone; empty when nothing is known.
    """
    reference = " ".join((reference or "").split()).rstrip(" .;,")
    when = f" du {formatting.date(day)}" if day else ""
    if not reference:
        return f"délibération{when}" if day else ""
    if reference.lower().startswith(("délibération", "deliberation")):
        rest = reference[len("délibération") :].strip()
        text = f"délibération {rest}".strip()
        return text if _DATE_IN_TEXT.search(rest) else f"{text}{when}"
    number = _NUMBER_PREFIX.sub("", reference)
    if any(char.isdigit() for char in number):
        return f"délibération n° {number}{when}"
    return f"délibération ({reference}){when}"


# --------------------------------------------------------------------------- data


@dataclass
class Party:
    """One signing party, as it appears on the cover, in Article 2 and in the signature blocks."""

    name: str
    kind: str  # "caf", a collectivity's kind, or a partner's kind (see designation())
    designation: Designation
    description: str = ""  # e.g. "SIREN 248200107"
    is_lead: bool = False
    is_collectivity: bool = False
    civility: str = ""  # Signatory.Civility: "madame", "monsieur" or ""
    representative_name: str = ""
    representative_title: str = ""
    resolution_reference: str = ""
    resolution_date: object = None
    signed_on: object = None

    @property
    def is_caf(self) -> bool:
        return self.kind == "caf"

    @property
    def represented(self) -> str:
        return self.designation.represented

    def _person(self) -> tuple[str, str]:
        """(article, rest) of the representative: a function (« Le maire de … ») or a person."""
        return _split_article(" ".join(self.representative_name.split()))

    @property
    def representative(self) -> str:
        """The representative in running text: « Madame Jeanne Martin », « le président de
        la communauté de communes »; empty when unknown."""
        article, rest = self._person()
        if article:
            return _join(article, rest)
        if not rest:
            return ""
        if not self.civility:
            return rest
        return f"{Signatory.Civility(self.civility).label} {rest}"

    @property
    def signer(self) -> str:
        """The representative in the signature block: « Madame Jeanne Martin »."""
        text = self.representative
        return text[:1].upper() + text[1:]

    @property
    def resolution(self) -> str:
        return resolution_phrase(self.resolution_reference, self.resolution_date)

    @property
    def habilitation(self) -> str:
        """« dûment habilitée par délibération … » agreeing with the representative when
        their gender is known, else « agissant en vertu de la délibération … »."""
        resolution = self.resolution
        if not resolution:
            return ""
        article, rest = self._person()
        if self.civility == Signatory.Civility.MADAME or article == "la":
            return f"dûment habilitée par {resolution}"
        if self.civility == Signatory.Civility.MONSIEUR or article == "le" or not rest:
            # « son représentant légal » when nobody is named
            return f"dûment habilité par {resolution}"
        return f"agissant en vertu de la {resolution}"


@dataclass
class AnnexSheet:
    """A fiche action as adopted: its approved version, without any follow-up figure."""

    sheet: ActionSheet
    version: int
    title: str
    thematic: Thematic | None
    thematics: list
    objective: Objective | None
    context: str
    goals: str
    description: str
    target_public: str
    lead: str
    partners: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    expected_results: str
    communes: list
    funding_lines: list  # funder, year, planned_amount
    funder_totals: list[dict]  # funder, planned (actions.funding.funding_totals)
    planned_total: Decimal
    indicators: list  # name, kind, unit, baseline, target, direction, source, frequency

    @property
    def number(self) -> str:
        return self.sheet.number


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
    annex: list[AnnexSheet]
    # Fiches not adopted yet (brouillon, soumise, à revoir, never validated): counted only.
    pending_count: int = 0
    generated_on: object = field(default_factory=timezone.localdate)
    # The text's version is its amendments (avenants), not its phase changes.
    amendments: list[Amendment] = field(default_factory=list)

    @property
    def amendment(self) -> Amendment | None:
        """The latest amendment the text includes; None for the initial text."""
        return self.amendments[-1] if self.amendments else None

    @property
    def version_label(self) -> str:
        """« Version initiale » or « Intégrant l'avenant n° 2 du 3 juin 2024 » (the cover)."""
        if self.amendment is None:
            return "Version initiale"
        return (
            f"Intégrant l'avenant n° {self.amendment.number} "
            f"du {formatting.date(self.amendment.date)}"
        )

    @property
    def indicator_count(self) -> int:
        return sum(len(a.indicators) for a in self.annex)

    @property
    def caf(self):
        return self.convention.caf

    @property
    def territory_label(self) -> str:
        """The territory in one line (the cover, Article 1): the names, or the EPCI and
        its number of communes when all of them are its members."""
        territories = self.territories
        names = [t.name for t in territories] or [p.name for p in self.parties if p.is_collectivity]
        if len(names) <= 4:
            return _enumeration(names)
        epcis = [t for t in territories if t.kind == Collectivity.Kind.EPCI]
        members = [t for t in territories if t not in epcis]
        epci_ids = {t.pk for t in epcis}
        if epcis and all(t.parent_epci_id in epci_ids for t in members):
            return f"{_enumeration([t.name for t in epcis])} ({len(members)} communes)"
        return f"{', '.join(names[:3])} et {len(names) - 3} autres collectivités"

    @property
    def territory_list(self) -> str:
        return _enumeration([t.name for t in self.territories])


def _enumeration(names: list[str]) -> str:
    """« A, B et C »."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} et {names[-1]}"


def _party(signatory: Signatory) -> Party:
    if signatory.collectivity_id:
        collectivity = signatory.collectivity
        name, kind = collectivity.name, collectivity.kind
        code_label = {
            Collectivity.Kind.EPCI: "SIREN",
            Collectivity.Kind.SYNDICAT: "SIREN",
            Collectivity.Kind.OTHER: "code",
        }.get(collectivity.kind, "code Insee")
        description = f"{code_label} {collectivity.code}" if collectivity.code else ""
    elif signatory.caf_id:
        name, kind, description = signatory.caf.name, "caf", ""
    else:
        name, kind = signatory.partner_name, signatory.partner_kind or "other"
        description = ""
    return Party(
        name=name,
        kind=kind,
        designation=designation(name, kind),
        description=description,
        is_lead=signatory.role == Signatory.Role.LEAD,
        is_collectivity=bool(signatory.collectivity_id),
        civility=signatory.representative_civility,
        representative_name=signatory.representative_name,
        representative_title=signatory.representative_title,
        resolution_reference=signatory.resolution_reference,
        resolution_date=signatory.resolution_date,
        signed_on=signatory.signed_on,
    )


# --------------------------------------------------------------------------- the annex

_SHEET_FIELDS = (
    "title",
    "context",
    "goals",
    "description",
    "target_public",
    "lead",
    "partners",
    "start_date",
    "end_date",
    "expected_results",
)


def is_adopted(sheet: ActionSheet) -> bool:
    """A fiche with an approved version, not abandoned: its approved version is annexed."""
    return bool(sheet.approved_version) and sheet.status != ActionSheet.Status.ABANDONED


def _annex_sheet(sheet, source, *, thematics, objective, communes, lines, indicators):
    totals = funding_totals(lines)  # the fiche page's totals (planned only shown)
    return AnnexSheet(
        sheet=sheet,
        version=sheet.approved_version,
        **{name: getattr(source, name) for name in _SHEET_FIELDS},
        thematic=thematics[0] if thematics else None,
        thematics=thematics,
        objective=objective,
        communes=communes,
        funding_lines=sorted(lines, key=lambda li: (li.year, li.funder)),
        funder_totals=[
            {"funder": t["funder"], "planned": t["planned"]} for t in totals["per_funder"]
        ],
        planned_total=totals["planned"],
        indicators=sorted(indicators, key=lambda i: i.id),
    )


def _as_of(records, cutoffs: dict[int, datetime.datetime], owner: str) -> dict[int, list]:
    """The rows alive just before each owner's cutoff, from their history records
    (oldest first): ``{owner id: [record, …]}`` (a deleted row is left out)."""
    latest: dict[tuple[int, int], object] = {}
    for record in records:
        owner_id = getattr(record, owner)
        cutoff = cutoffs.get(owner_id)
        if cutoff is not None and record.history_date < cutoff:
            latest[(owner_id, record.id)] = record
    rows: dict[int, list] = {}
    for (owner_id, _), record in latest.items():
        if record.history_type != "-":
            rows.setdefault(owner_id, []).append(record)
    return rows


def _revised_annex(sheets: list[ActionSheet]) -> dict[int, AnnexSheet]:
    """The approved version of fiches whose current version is newer, read from the
    history (a fixed number of queries, whatever the number of fiches)."""
    if not sheets:
        return {}
    by_id = {s.pk: s for s in sheets}
    History = ActionSheet.history.model
    communes_through = History._meta.get_field("historicalactionsheet_communes").related_model
    thematics_through = History._meta.get_field(
        "historicalactionsheet_other_thematics"
    ).related_model
    adopted: dict[int, object] = {}  # the last record of the approved version
    cutoffs: dict[int, datetime.datetime] = {}  # when a newer version replaced it
    for record in History.objects.filter(id__in=by_id).order_by("history_date", "history_id"):
        sheet = by_id[record.id]
        if record.version == sheet.approved_version and record.history_type != "-":
            adopted[record.id] = record
        elif record.version > sheet.approved_version and record.id not in cutoffs:
            cutoffs[record.id] = record.history_date
    # A fiche without a record of its approved version (data older than the history)
    # is shown as it is now.
    found = {pk: record for pk, record in adopted.items() if pk in cutoffs}
    if not found:
        return {}
    history_ids = [r.history_id for r in found.values()]
    communes: dict[int, list] = {}
    for row in (
        communes_through.objects.filter(history_id__in=history_ids)
        .select_related("collectivity")
        .order_by("collectivity__name")
    ):
        communes.setdefault(row.history_id, []).append(row.collectivity)
    others: dict[int, list] = {}
    for row in (
        thematics_through.objects.filter(history_id__in=history_ids)
        .select_related("thematic")
        .order_by("thematic__order", "thematic__label")
    ):
        others.setdefault(row.history_id, []).append(row.thematic)
    thematic_by_id = Thematic.objects.in_bulk({r.thematic_id for r in found.values()})
    objective_by_id = Objective.objects.in_bulk(
        {r.objective_id for r in found.values() if r.objective_id}
    )
    ids = list(found)
    latest_cutoff = max(cutoffs[pk] for pk in ids)
    lines = _as_of(
        FundingLine.history.filter(sheet_id__in=ids, history_date__lt=latest_cutoff).order_by(
            "history_date", "history_id"
        ),
        {pk: cutoffs[pk] for pk in ids},
        "sheet_id",
    )
    indicators = _as_of(
        Indicator.history.filter(action_sheet_id__in=ids, history_date__lt=latest_cutoff).order_by(
            "history_date", "history_id"
        ),
        {pk: cutoffs[pk] for pk in ids},
        "action_sheet_id",
    )
    annex = {}
    for pk, record in found.items():
        main = thematic_by_id.get(record.thematic_id)
        annex[pk] = _annex_sheet(
            by_id[pk],
            record,
            thematics=[t for t in [main, *others.get(record.history_id, [])] if t is not None],
            objective=objective_by_id.get(record.objective_id),
            communes=communes.get(record.history_id, []),
            lines=lines.get(pk, []),
            indicators=indicators.get(pk, []),
        )
    return annex


def _annex(sheets: list[ActionSheet]) -> list[AnnexSheet]:
    adopted = [s for s in sheets if is_adopted(s)]
    revised = _revised_annex([s for s in adopted if s.version > s.approved_version])
    annex = []
    for sheet in adopted:
        if sheet.pk in revised:
            annex.append(revised[sheet.pk])
            continue
        annex.append(
            _annex_sheet(
                sheet,
                sheet,
                thematics=[sheet.thematic, *sheet.other_thematics.all()],
                objective=sheet.objective,
                communes=list(sheet.communes.all()),
                lines=list(sheet.funding_lines.all()),
                indicators=list(sheet.indicators.all()),
            )
        )
    return annex


# --------------------------------------------------------------------------- the selector


def convention_document_data(
    *, convention: Convention, today: datetime.date | None = None
) -> DocumentData:
    """Everything the convention document shows (13 queries, a few more when fiches
    have a newer version being examined, whatever the sizes)."""
    signatories = list(
        Signatory.objects.filter(convention=convention)
        .select_related("collectivity", "caf")
        .order_by("order", "id")
    )
    parties = [_party(s) for s in signatories]
    if not any(p.is_caf for p in parties):
        # The Caf is always a party to its convention, listed first.
        name = convention.caf.name
        parties.insert(0, Party(name=name, kind="caf", designation=designation(name, "caf")))
    else:
        parties.sort(key=lambda p: not p.is_caf)

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
            Prefetch("other_thematics", queryset=Thematic.objects.order_by("order", "label")),
            Prefetch("communes", queryset=Collectivity.objects.order_by("name")),
            Prefetch("funding_lines", queryset=FundingLine.objects.order_by("year", "funder")),
            Prefetch("indicators", queryset=Indicator.objects.order_by("pk")),
        )
        .order_by("number")
    )
    annex = _annex(sheets)
    adopted = {a.sheet.pk for a in annex}
    pending = [
        s for s in sheets if s.pk not in adopted and s.status != ActionSheet.Status.ABANDONED
    ]

    return DocumentData(
        convention=convention,
        parties=parties,
        thematics=thematics,
        # The intercommunalities first, then the communes and the others.
        territories=sorted(
            convention.territories.order_by("name"),
            key=lambda t: t.kind != Collectivity.Kind.EPCI,
        ),
        committees=committees,
        diagnostic=diagnostic,
        findings=findings,
        findings_total=findings_total,
        annex=annex,
        pending_count=len(pending),
        generated_on=today or timezone.localdate(),
        amendments=list(convention.amendments.order_by("number")),
    )


# --------------------------------------------------------------------------- rendering


def render_convention_html(*, data: DocumentData) -> str:
    with translation.override("fr"):
        return render_to_string("portal/document.html", {"doc": data, "c": data.convention})


def document_fingerprint(data: DocumentData) -> str:
    """The hash of what the document shows, the day it is made aside: any change of a
    party, an amendment, a committee, a validated fiche… (or of the layout) changes it."""
    html = render_convention_html(data=replace(data, generated_on=None))
    return hashlib.sha256(html.encode()).hexdigest()


def render_convention_pdf(*, data: DocumentData, base_url: str | None = None) -> bytes:
    """The PDF bytes of the convention document."""
    from weasyprint import HTML  # heavy import, only when a document is built

    html = render_convention_html(data=data)
    return HTML(string=html, base_url=base_url).write_pdf()
