"""The CTG of the commune of Sorbiers (Caf de la Loire): the Caf's first convention with a
commune, for four years from 2027, its action plan being drawn up.

Facts come from the convention's text (the operational committee co-chaired by three elected
officials, the DGS and the head of the Enfance jeunesse éducation service facing four Caf
staff); figures, fiches and the other people are plausible but invented for the demonstration.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from actions.models import ActionSheet, Approval, FundingLine
from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Side,
    Signatory,
    User,
)
from diagnostics.models import Diagnostic, Facility, Finding
from evaluation.models import Indicator

from .builder import DemoBuilder

INVESTMENT = FundingLine.Nature.INVESTMENT

SORBIERS_NAME = "CTG de la commune de Sorbiers"
SORBIERS_INSEE = "42302"

SORBIERS_THEMATICS = [
    "petite-enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "acces-aux-droits",
    "animation-vie-sociale",
]
SORBIERS_VISION = (
    "Un projet de territoire construit conjointement par la commune et la Caf, pour renforcer la "
    "cohérence et l'efficacité des politiques d'action sociale : un regard global sur les besoins "
    "des habitants et les réponses apportées dans l'ensemble des domaines d'action sociale."
)
SORBIERS_PURPOSE = (
    "Première convention territoriale globale de la Caf de la Loire avec une commune : "
    "élaboration, mise en œuvre et évaluation portées conjointement par la commune et la Caf, "
    "pour une période de quatre ans."
)

# The text says "en nombre égal" yet lists 5 people for the commune and 4 for the Caf:
# modelled as written, so the parity warning shows.
COMMITTEE_MEMBERS = [
    (Side.TERRITORY, "Élue de Sorbiers — enfance et éducation", "Élue municipale"),
    (Side.TERRITORY, "Élu de Sorbiers — affaires sociales", "Élu municipal"),
    (Side.TERRITORY, "Élue de Sorbiers — vie associative", "Élue municipale"),
    (Side.TERRITORY, "Directeur général des services", "Mairie de Sorbiers"),
    (
        Side.TERRITORY,
        "Responsable du service Enfance jeunesse éducation",
        "Mairie de Sorbiers",
    ),
    (Side.CAF, "Conseillère territoriale", "Caf de la Loire"),
    (Side.CAF, "Conseiller technique petite enfance", "Caf de la Loire"),
    (Side.CAF, "Chargée d'études", "Caf de la Loire"),
    (Side.CAF, "Travailleuse sociale", "Caf de la Loire"),
]


@dataclass(frozen=True)
class Territory:
    caf: Caf
    commune: Collectivity


def seed_territory(b: DemoBuilder) -> Territory:
    """The Caf de la Loire and the commune of Sorbiers."""
    caf, _ = b.ensure(Caf, {"department_code": "42"}, {"name": "Caf de la Loire"})
    commune, _ = b.ensure(
        Collectivity,
        {"kind": Collectivity.Kind.COMMUNE, "code": SORBIERS_INSEE},
        {"name": "Sorbiers", "population": 7900, "caf": caf},
    )
    return Territory(caf=caf, commune=commune)


def seed_convention(b: DemoBuilder, *, territory: Territory, users: dict[str, User]) -> Convention:
    """The convention, its signatories, committee, diagnostic and action plan."""
    convention, _ = b.ensure(
        Convention,
        {"caf": territory.caf, "name": SORBIERS_NAME},
        {
            "start_date": datetime.date(2027, 1, 1),
            "end_date": datetime.date(2030, 12, 31),
            "phase": Convention.Phase.ACTION_PLAN,
            "vision": SORBIERS_VISION,
            "purpose": SORBIERS_PURPOSE,
            "horizon_year": 2030,
            "reporting_frequency": Convention.Frequency.YEARLY,
        },
        m2m={
            "thematics": [b.thematic(c) for c in SORBIERS_THEMATICS],
            "territories": [territory.commune],
        },
    )
    _signatories(b, convention, territory)
    seats = _governance(b, convention)
    findings = _diagnostic(b, convention, territory)
    _action_plan(b, convention, territory, findings=findings, seats=seats, users=users)
    return convention


def _signatories(b: DemoBuilder, convention: Convention, territory: Territory) -> None:
    b.ensure(
        Signatory,
        {"convention": convention, "caf": territory.caf},
        {"representative_name": "La direction de la Caf de la Loire", "order": 1},
    )
    b.ensure(
        Signatory,
        {"convention": convention, "collectivity": territory.commune},
        {
            "role": Signatory.Role.LEAD,
            "representative_name": "Le maire de Sorbiers",
            "order": 2,
        },
    )


def _governance(b: DemoBuilder, convention: Convention) -> dict[str, CommitteeMember]:
    """The operational committee (its seats returned by name) and its meetings."""
    committee, seats = b.committee(
        convention, Committee.Kind.TECHNICAL, "Comité opérationnel co-piloté", COMMITTEE_MEMBERS
    )
    b.meetings(
        committee,
        past=(
            datetime.datetime(2026, 7, 9, 17, 30),
            "Installation du comité opérationnel ; méthode et calendrier du diagnostic",
            "Mairie de Sorbiers",
            (
                "Le comité co-piloté est installé : trois élus, le directeur général des "
                "services et le responsable du service Enfance jeunesse éducation pour la "
                "commune, quatre personnels de la Caf.\n"
                "La Caf présente les données dont elle dispose ; les élus apportent leur "
                "connaissance du territoire et de ses habitants."
            ),
            "Calendrier arrêté : diagnostic jusqu'à mi-octobre, plan d'actions d'ici fin 2026.",
        ),
        upcoming=(
            "Examen des fiches action du plan d'actions",
            "Mairie de Sorbiers",
        ),
    )
    return seats


def _diagnostic(b: DemoBuilder, convention: Convention, territory: Territory) -> dict[str, Finding]:
    diagnostic, _ = b.ensure(
        Diagnostic,
        {"convention": convention},
        {
            "method": (
                "Diagnostic partagé conduit par le comité opérationnel : données chiffrées de "
                "la Caf, connaissance du territoire par les élus, rencontres avec les "
                "habitants et les partenaires."
            ),
            "start_date": datetime.date(2026, 7, 1),
            "end_date": datetime.date(2026, 10, 15),
            "summary": (
                "Une commune périurbaine attractive pour les jeunes familles : la demande "
                "d'accueil du jeune enfant et de loisirs dépasse l'offre ; les adolescents "
                "manquent de lieux ; les familles monoparentales sont en hausse."
            ),
            "participants_count": 180,
            "participation": "Questionnaire aux familles, deux réunions publiques, entretiens.",
            "sources": (
                "Données Caf 2023-2025, Insee, analyse des besoins sociaux du CCAS de Sorbiers."
            ),
        },
    )
    K = Finding.Kind
    S = Finding.Source
    findings = b.findings(
        diagnostic,
        [
            (
                "creche",
                "petite-enfance",
                K.NEED,
                1,
                S.CAF_DATA,
                "Liste d'attente de l'accueil collectif : une quarantaine de familles chaque "
                "rentrée.",
            ),
            (
                "periscolaire",
                "enfance",
                K.EXISTING,
                2,
                S.INTERVIEW,
                "Accueils périscolaires dans les deux groupes scolaires, saturés le mercredi.",
            ),
            (
                "ados",
                "jeunesse",
                K.WEAKNESS,
                1,
                S.WORKSHOP,
                "Pas de lieu d'accueil pour les 12-17 ans en dehors du collège.",
            ),
            (
                "parents",
                "parentalite",
                K.NEED,
                2,
                S.QUESTIONNAIRE,
                "Les parents de jeunes enfants demandent un lieu d'échange.",
            ),
            (
                "droits",
                "acces-aux-droits",
                K.WEAKNESS,
                2,
                S.OTHER,
                "Le CCAS constate un non-recours chez les familles monoparentales.",
            ),
            (
                "asso",
                "animation-vie-sociale",
                K.STRENGTH,
                3,
                S.INTERVIEW,
                "Une vie associative dense et des élus très investis.",
            ),
        ],
    )
    b.statistics(
        territory.commune,
        {
            "allocataires": {2023: 1085, 2024: 1102, 2025: 1119},
            "enfants-moins-3-ans": {2023: 214, 2024: 209, 2025: 217},
            "taux-couverture": {2023: 61.4, 2024: 62.0, 2025: 60.8},
            "allocataires-bas-revenus": {2023: 236, 2024: 241, 2025: 248},
            "part-dependants-prestations": {2023: 8.9, 2024: 9.2, 2025: 9.4},
        },
    )
    b.facilities(
        [
            (
                territory.commune,
                Facility.Kind.EAJE,
                "Multi-accueil municipal",
                "Commune de Sorbiers",
                36,
            ),
            (
                territory.commune,
                Facility.Kind.ALSH,
                "Accueil de loisirs des Bruneaux",
                "Commune de Sorbiers",
                80,
            ),
            (
                territory.commune,
                Facility.Kind.RPE,
                "Relais petite enfance",
                "Commune de Sorbiers",
                None,
            ),
        ]
    )
    return findings


def _action_plan(
    b: DemoBuilder,
    convention: Convention,
    territory: Territory,
    *,
    findings: dict[str, Finding],
    seats: dict[str, CommitteeMember],
    users: dict[str, User],
) -> None:
    f = findings
    editor = users["agent.caf42"]
    favorable = [
        (seats["Conseillère territoriale"], Approval.Decision.FAVORABLE, ""),
        (seats["Élue de Sorbiers — enfance et éducation"], Approval.Decision.FAVORABLE, ""),
    ]
    d = datetime.date
    start, end = d(2027, 1, 1), d(2030, 12, 31)
    o_accueil = b.objective(
        convention,
        "petite-enfance",
        "Adapter l'offre d'accueil du jeune enfant à la demande",
        "Les familles trouvent un mode d'accueil dans l'année de leur demande.",
        [f["creche"]],
        stake_title="Une offre d'accueil à la hauteur de l'arrivée de jeunes familles",
    )
    o_loisirs = b.objective(
        convention,
        "enfance",
        "Garantir un accueil de loisirs de qualité le mercredi",
        "Plus aucune famille refusée le mercredi.",
        [f["periscolaire"]],
    )
    o_ados = b.objective(
        convention,
        "jeunesse",
        "Offrir aux adolescents un lieu et des projets",
        "Les 12-17 ans disposent d'un lieu qu'ils font vivre.",
        [f["ados"]],
    )
    o_parents = b.objective(
        convention,
        "parentalite",
        "Accompagner les parents de jeunes enfants",
        "Les parents se sentent soutenus et échangent entre eux.",
        [f["parents"]],
    )
    o_droits = b.objective(
        convention,
        "acces-aux-droits",
        "Réduire le non-recours des familles monoparentales",
        "Les familles monoparentales connaissent et font valoir leurs droits.",
        [f["droits"]],
    )
    context_children = {
        "name": "Enfants de moins de 3 ans sur la commune",
        "kind": Indicator.Kind.CONTEXT,
        "unit": "enfants",
        "direction": Indicator.Direction.MAINTAIN,
        "baseline": (d(2025, 12, 31), 217),
        "target": (end, 217),
        "source": "Caf — données allocataires",
        "measurements": [(d(2026, 6, 30), 221, "Donnée semestrielle provisoire.")],
    }
    specs = [
        {
            "number": "FA-01",
            "title": "Étendre le multi-accueil municipal de douze places",
            "thematic": "petite-enfance",
            "objective": o_accueil,
            "status": ActionSheet.Status.VALIDATED,
            "description": "Extension du multi-accueil et recrutement de quatre professionnelles.",
            "target_public": "Familles avec enfants de moins de 3 ans",
            "lead": "Commune — service Enfance jeunesse éducation",
            "partners": "Caf, PMI",
            "communes": [territory.commune],
            "start": start,
            "end": d(2028, 12, 31),
            "approvals": favorable,
            "funding": [
                ("Caf — plan rebond petite enfance", 2027, "96000", "0", INVESTMENT),
                ("Commune de Sorbiers", 2027, "140000", "0", INVESTMENT),
            ],
            "indicators": [
                {
                    "name": "Places en accueil collectif",
                    "unit": "places",
                    "baseline": (d(2026, 9, 1), 36),
                    "target": (d(2028, 12, 31), 48),
                },
                context_children,
            ],
        },
        {
            "number": "FA-02",
            "title": "Accueil de loisirs du mercredi : places et qualité éducative",
            "thematic": "enfance",
            "objective": o_loisirs,
            "status": ActionSheet.Status.VALIDATED,
            "lead": "Commune — service Enfance jeunesse éducation",
            "communes": [territory.commune],
            "start": start,
            "end": end,
            "approvals": favorable,
            "funding": [("Caf — prestation de service ordinaire", 2027, "22000", "0")],
            "indicators": [
                {
                    "name": "Demandes refusées le mercredi",
                    "unit": "enfants",
                    "direction": Indicator.Direction.DECREASE,
                    "baseline": (d(2026, 9, 1), 25),
                    "target": (end, 0),
                    "measurements": [(d(2026, 10, 15), 27, "Relevé du diagnostic.")],
                },
            ],
        },
        {
            "number": "FA-03",
            "title": "Un local jeunes animé avec les 12-17 ans",
            "thematic": "jeunesse",
            "objective": o_ados,
            "status": ActionSheet.Status.SUBMITTED,
            "lead": "Commune — service Enfance jeunesse éducation",
            "partners": "Collège, centre social",
            "start": d(2027, 9, 1),
            "end": end,
            "funding": [("Commune de Sorbiers", 2027, "18000", "0")],
            "indicators": [
                {
                    "name": "Jeunes inscrits au local",
                    "unit": "jeunes",
                    "baseline": (d(2026, 9, 1), 0),
                    "target": (end, 80),
                },
            ],
        },
        {
            "number": "FA-04",
            "title": "Lieu d'accueil enfants-parents",
            "thematic": "parentalite",
            "objective": o_parents,
            "status": ActionSheet.Status.TO_REVIEW,
            "status_reason": "Le comité demande de préciser le lieu et les accueillants.",
            "lead": "Commune et centre social",
            "start": d(2027, 9, 1),
            "end": end,
            "approvals": [
                (
                    seats["Conseiller technique petite enfance"],
                    Approval.Decision.TO_REVIEW,
                    "Préciser le lieu, les horaires et la formation des accueillants "
                    "avant de solliciter la prestation de service LAEP.",
                ),
            ],
            "indicators": [
                {
                    "name": "Familles accueillies",
                    "unit": "familles",
                    "baseline": (d(2026, 9, 1), 0),
                    "target": (end, 60),
                },
            ],
        },
        {
            "number": "FA-05",
            "title": "Permanences d'accès aux droits au CCAS",
            "thematic": "acces-aux-droits",
            "objective": o_droits,
            "status": ActionSheet.Status.DRAFT,
            "lead": "CCAS de Sorbiers",
            "partners": "Caf, CPAM",
            "indicators": [
                {
                    "name": "Familles monoparentales reçues",
                    "unit": "familles",
                    "baseline": (d(2026, 9, 1), 0),
                    "target": (end, 100),
                },
            ],
        },
    ]
    for spec in specs:
        b.sheet(convention, spec, editor=editor)
