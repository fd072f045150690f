"""The CTG of the communauté de communes Quercy Rouergue Gorges de l'Aveyron (QRGA), Caf de
Tarn-et-Garonne: signed on 15 December 2021 by the Caf, the communauté de communes and three
of its 17 communes, now in implementation, followed with the change-oriented method.

Facts come from the convention's text (signature date, Xavier Renier and Charlotte
Hubert-Boyer for the Caf, the 17 communes); figures, fiches and the other people are
plausible but invented for the demonstration.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from actions.models import ActionSheet, Approval, FundingLine, Objective
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
from evaluation.models import Indicator, Observation, ProgressMarker

from .builder import DemoBuilder

INVESTMENT = FundingLine.Nature.INVESTMENT

QRGA_NAME = "CTG de la communauté de communes Quercy Rouergue Gorges de l'Aveyron"
QRGA_SIREN = "248200107"
QRGA_SIGNED_ON = datetime.date(2021, 12, 15)

# The 17 communes of the communauté de communes (INSEE code, name, approximate population).
QRGA_COMMUNES = [
    ("82031", "Castanet", 240),
    ("82038", "Caylus", 1530),
    ("82040", "Cazals", 200),
    ("82054", "Espinas", 150),
    ("82060", "Féneyrols", 160),
    ("82068", "Ginals", 200),
    ("82083", "Lacapelle-Livron", 190),
    ("82090", "Laguépie", 700),
    ("82095", "Lavaurette", 180),
    ("82101", "Loze", 130),
    ("82131", "Mouillac", 100),
    ("82137", "Parisot", 560),
    ("82146", "Puylagarde", 350),
    ("82155", "Saint-Antonin-Noble-Val", 1900),
    ("82170", "Saint-Projet", 190),
    ("82190", "Varen", 800),
    ("82192", "Verfeil", 370),
]
QRGA_SIGNING_COMMUNES = ["Parisot", "Laguépie", "Saint-Antonin-Noble-Val"]

# The seven thematics of the QRGA text ("accès aux droits et au numérique" is two entries).
QRGA_THEMATICS = [
    "enfance",
    "jeunesse",
    "parentalite",
    "acces-aux-droits",
    "inclusion-numerique",
    "logement",
    "accompagnement-social",
    "animation-vie-sociale",
]

QRGA_VISION = (
    "Formaliser le projet de territoire au service des familles et des habitants, "
    "issu du diagnostic participatif initial mené avec l'accompagnement de la Caf.\n"
    "Vision stratégique partagée de la dynamique du territoire à l'horizon 2024 pour la "
    "convention territoriale globale et à l'horizon 2025 pour le projet social de territoire.\n"
    "Méthode « orientée changement » : partir des changements visés par les élus du territoire "
    "à la fin du projet, construire un suivi évaluatif et projeter une mesure d'impact du projet "
    "social, dans le cadre du schéma départemental des services aux familles et de l'animation "
    "de la vie sociale. Gouvernance partagée entre l'intercommunalité et ses 17 communes."
)
QRGA_PURPOSE = (
    "Valoriser le projet de territoire porté par la collectivité ; adapter les actions aux "
    "besoins des habitants et être plus efficace ; faciliter la prise de décision et définir des "
    "priorités d'intervention ; mieux connaître l'action de chacun et clarifier les interventions ; "
    "renforcer les partenariats entre acteurs locaux et départementaux au service des familles ; "
    "mettre en œuvre des actions concrètes et mobiliser des financements pluriannuels et simplifiés."
)

# The COPIL: (side, name, function, demo account sitting on it — see ``accounts``).
COPIL_MEMBERS = [
    (Side.CAF, "Xavier Renier", "Président du conseil d'administration de la Caf", None),
    (Side.CAF, "Charlotte Hubert-Boyer", "Direction de la Caf de Tarn-et-Garonne", None),
    (
        Side.CAF,
        "Hélène Marty",
        "Administratrice de la Caf de Tarn-et-Garonne",
        "copil.caf",
    ),
    (Side.CAF, "Responsable du développement territorial", "Caf de Tarn-et-Garonne", None),
    (Side.CAF, "Conseillère territoriale de la Caf", "Caf de Tarn-et-Garonne", None),
    (Side.TERRITORY, "Président de la communauté de communes", "Intercommunalité", None),
    (Side.TERRITORY, "Maire de Parisot", "Commune signataire", None),
    (Side.TERRITORY, "Maire de Laguépie", "Commune signataire", None),
    (Side.TERRITORY, "Maire de Saint-Antonin-Noble-Val", "Commune signataire", None),
    (
        Side.TERRITORY,
        "Sandrine Delpech",
        "Conseillère communautaire déléguée à l'enfance et à la jeunesse (Varen)",
        "copil.territoire",
    ),
]
# The technical committee: (side, name, function).
TECHNICAL_MEMBERS = [
    (Side.CAF, "Conseillère territoriale de la Caf", "Caf de Tarn-et-Garonne"),
    (Side.CAF, "Conseiller technique enfance-jeunesse", "Caf de Tarn-et-Garonne"),
    (Side.CAF, "Chargée d'études statistiques", "Caf de Tarn-et-Garonne"),
    (Side.TERRITORY, "Chargée de coopération CTG", "Communauté de communes"),
    (Side.TERRITORY, "Directrice générale des services", "Communauté de communes"),
    (Side.TERRITORY, "Coordinatrice enfance-jeunesse", "Communauté de communes"),
]


@dataclass(frozen=True)
class Territory:
    caf: Caf
    epci: Collectivity
    communes: dict[str, Collectivity]


def seed_territory(b: DemoBuilder) -> Territory:
    """The Caf de Tarn-et-Garonne, the communauté de communes and its 17 communes."""
    caf, _ = b.ensure(Caf, {"department_code": "82"}, {"name": "Caf de Tarn-et-Garonne"})
    epci, _ = b.ensure(
        Collectivity,
        {"kind": Collectivity.Kind.EPCI, "code": QRGA_SIREN},
        {
            "name": "Communauté de communes Quercy Rouergue Gorges de l'Aveyron",
            "population": sum(pop for _, _, pop in QRGA_COMMUNES),
            "caf": caf,
        },
    )
    communes: dict[str, Collectivity] = {}
    for code, name, population in QRGA_COMMUNES:
        communes[name], _ = b.ensure(
            Collectivity,
            {"kind": Collectivity.Kind.COMMUNE, "code": code},
            {"name": name, "population": population, "parent_epci": epci, "caf": caf},
        )
    return Territory(caf=caf, epci=epci, communes=communes)


def seed_convention(b: DemoBuilder, *, territory: Territory, users: dict[str, User]) -> Convention:
    """The convention, its signatories, governance, diagnostic, action plan and changes."""
    signed = QRGA_SIGNED_ON
    convention, _ = b.ensure(
        Convention,
        {"caf": territory.caf, "name": QRGA_NAME},
        {
            "start_date": datetime.date(2021, 1, 1),
            "end_date": datetime.date(2024, 12, 31),
            "phase": Convention.Phase.IMPLEMENTATION,
            "signed_on": signed,
            "vision": QRGA_VISION,
            "purpose": QRGA_PURPOSE,
            "horizon_year": 2025,
            "reporting_frequency": Convention.Frequency.YEARLY,
        },
        m2m={
            "thematics": [b.thematic(c) for c in QRGA_THEMATICS],
            "territories": [territory.epci, *territory.communes.values()],
        },
    )
    _signatories(b, convention, territory)
    seats = _governance(b, convention, users)
    findings = _diagnostic(b, convention, territory)
    _action_plan(b, convention, territory, findings=findings, seats=seats, users=users)
    _changes(b, convention, users)
    return convention


def _signatories(b: DemoBuilder, convention: Convention, territory: Territory) -> None:
    signed = QRGA_SIGNED_ON
    b.ensure(
        Signatory,
        {"convention": convention, "caf": territory.caf},
        {
            "role": Signatory.Role.SIGNATORY,
            # The seeds: « Xavier Renier, président du conseil d'administration ».
            "representative_civility": Signatory.Civility.MONSIEUR,
            "representative_name": "Xavier Renier",
            "representative_title": (
                "président du conseil d'administration, avec Charlotte Hubert-Boyer "
                "pour la direction de la Caf"
            ),
            "signed_on": signed,
            "order": 1,
        },
    )
    b.ensure(
        Signatory,
        {"convention": convention, "collectivity": territory.epci},
        {
            "role": Signatory.Role.LEAD,
            "representative_name": "Le président de la communauté de communes",
            "resolution_reference": "Délibération du conseil communautaire n° 2021-112",
            "resolution_date": datetime.date(2021, 11, 25),
            "signed_on": signed,
            "order": 2,
        },
    )
    resolution_dates = {
        "Parisot": datetime.date(2021, 11, 30),
        "Laguépie": datetime.date(2021, 12, 2),
        "Saint-Antonin-Noble-Val": datetime.date(2021, 12, 6),
    }
    for order, name in enumerate(QRGA_SIGNING_COMMUNES, start=3):
        b.ensure(
            Signatory,
            {"convention": convention, "collectivity": territory.communes[name]},
            {
                "role": Signatory.Role.SIGNATORY,
                "representative_name": f"Le maire de {name}",
                "resolution_reference": "Délibération du conseil municipal",
                "resolution_date": resolution_dates[name],
                "signed_on": signed,
                "order": order,
            },
        )


def _governance(
    b: DemoBuilder, convention: Convention, users: dict[str, User]
) -> dict[str, CommitteeMember]:
    """The COPIL (its seats returned by name) and the technical committee."""
    copil, seats = b.committee(
        convention,
        Committee.Kind.COPIL,
        "Comité de pilotage",
        [
            (side, name, function, users[account] if account else None)
            for side, name, function, account in COPIL_MEMBERS
        ],
        {"approvals_required_per_side": 1},
    )
    b.committee(convention, Committee.Kind.TECHNICAL, "Comité technique", TECHNICAL_MEMBERS)
    b.meetings(
        copil,
        past=(
            datetime.datetime(2024, 3, 14, 14, 0),
            "Bilan de l'année 2023 ; avancement des fiches action ; priorités 2024",
            "Salle du conseil communautaire, Saint-Antonin-Noble-Val",
            (
                "Présents : collège Caf (5), collège territoire (5).\n"
                "La chargée de coopération présente le bilan 2023 : cinq fiches engagées, "
                "l'espace jeunes itinérant a touché 96 jeunes de 11 à 17 ans, "
                "les cafés des parents ont réuni 140 participants sur l'année.\n"
                "Le comité note le retard pris sur l'accès au logement des jeunes."
            ),
            (
                "Validation du bilan 2023. La fiche FA-05 (logement des jeunes) est "
                "confirmée ; une proposition d'espace de vie sociale sera soumise au comité."
            ),
        ),
        upcoming=(
            "Bilan de la convention et préparation du renouvellement",
            "Salle du conseil communautaire, Saint-Antonin-Noble-Val",
        ),
    )
    return seats


def _diagnostic(b: DemoBuilder, convention: Convention, territory: Territory) -> dict[str, Finding]:
    diagnostic, _ = b.ensure(
        Diagnostic,
        {"convention": convention},
        {
            "method": (
                "Diagnostic participatif initial accompagné par la Caf, selon une approche "
                "« orientée changement » : données statistiques, entretiens avec les élus des "
                "17 communes, questionnaire aux familles, ateliers avec habitants et partenaires."
            ),
            "start_date": datetime.date(2020, 10, 1),
            "end_date": datetime.date(2021, 6, 30),
            "summary": (
                "Un territoire rural étendu, aux communes peu peuplées, où l'offre aux familles "
                "se concentre à Saint-Antonin-Noble-Val, Caylus et Laguépie. Les jeunes et les "
                "familles isolées peinent à accéder aux services ; la mobilité et le numérique "
                "sont des freins transversaux."
            ),
            "participants_count": 240,
            "participation": (
                "Questionnaire aux familles (162 réponses), quatre ateliers territoriaux, "
                "entretiens avec les maires et les partenaires."
            ),
            "sources": "Données Caf 2019-2021, Insee (recensement), questionnaire, ateliers.",
        },
    )
    K = Finding.Kind
    S = Finding.Source
    findings = b.findings(
        diagnostic,
        [
            (
                "alsh",
                "enfance",
                K.EXISTING,
                2,
                S.CAF_DATA,
                "Trois accueils de loisirs (Saint-Antonin-Noble-Val, Caylus, Laguépie) aux "
                "projets éducatifs peu coordonnés.",
            ),
            (
                "alsh-transport",
                "enfance",
                K.NEED,
                1,
                S.QUESTIONNAIRE,
                "Les familles des petites communes renoncent à l'accueil de loisirs faute de "
                "transport le mercredi.",
            ),
            (
                "jeunes",
                "jeunesse",
                K.WEAKNESS,
                1,
                S.WORKSHOP,
                "Aucun lieu d'accueil pour les 11-17 ans hors de Saint-Antonin-Noble-Val ; les "
                "jeunes se disent « oubliés » du territoire.",
            ),
            (
                "jeunes-atout",
                "jeunesse",
                K.STRENGTH,
                2,
                S.INTERVIEW,
                "Un tissu associatif sportif et culturel actif, prêt à accueillir des projets de "
                "jeunes.",
            ),
            (
                "parents",
                "parentalite",
                K.NEED,
                1,
                S.QUESTIONNAIRE,
                "Près d'un parent sur trois se dit isolé face aux questions éducatives.",
            ),
            (
                "droits",
                "acces-aux-droits",
                K.WEAKNESS,
                1,
                S.CAF_DATA,
                "Un non-recours aux droits estimé élevé chez les allocataires âgés et les "
                "familles monoparentales.",
            ),
            (
                "numerique",
                "inclusion-numerique",
                K.NEED,
                1,
                S.WORKSHOP,
                "Zones blanches et faible équipement : les démarches en ligne excluent une part "
                "des habitants.",
            ),
            (
                "logement",
                "logement",
                K.WEAKNESS,
                2,
                S.INSEE,
                "Parc locatif rare et ancien ; les jeunes actifs et les saisonniers peinent à se "
                "loger.",
            ),
            (
                "social",
                "accompagnement-social",
                K.EXISTING,
                2,
                S.INTERVIEW,
                "Permanences sociales du Département une demi-journée par semaine à "
                "Saint-Antonin-Noble-Val seulement.",
            ),
            (
                "avs",
                "animation-vie-sociale",
                K.STRENGTH,
                2,
                S.WORKSHOP,
                "Des initiatives d'habitants (repas partagés, jardins) sans structure pour les "
                "soutenir.",
            ),
            (
                "seniors",
                "animation-vie-sociale",
                K.NEED,
                3,
                S.INTERVIEW,
                "Isolement des personnes âgées dans les hameaux.",
            ),
        ],
    )
    b.statistics(
        territory.epci,
        {
            "allocataires": {2019: 1430, 2020: 1452, 2021: 1471},
            "enfants-moins-3-ans": {2019: 212, 2020: 205, 2021: 198},
            "taux-couverture": {2019: 46.2, 2020: 47.5, 2021: 48.1},
            "allocataires-bas-revenus": {2019: 498, 2020: 521, 2021: 517},
            "part-dependants-prestations": {2019: 17.8, 2020: 18.6, 2021: 18.1},
        },
    )
    for name, factor in [
        ("Saint-Antonin-Noble-Val", 0.24),
        ("Laguépie", 0.09),
        ("Parisot", 0.07),
    ]:
        b.statistics(
            territory.communes[name],
            {
                "allocataires": {
                    2019: round(1430 * factor),
                    2020: round(1452 * factor),
                    2021: round(1471 * factor),
                },
                "enfants-moins-3-ans": {
                    2019: round(212 * factor),
                    2020: round(205 * factor),
                    2021: round(198 * factor),
                },
                "taux-couverture": {
                    2019: round(46.2 * (0.6 + factor * 2), 1),
                    2020: round(47.5 * (0.6 + factor * 2), 1),
                    2021: round(48.1 * (0.6 + factor * 2), 1),
                },
            },
        )
    communes = territory.communes
    b.facilities(
        [
            (
                communes["Saint-Antonin-Noble-Val"],
                Facility.Kind.EAJE,
                "Multi-accueil « Les Petits Pas »",
                "Communauté de communes",
                20,
            ),
            (
                communes["Caylus"],
                Facility.Kind.EAJE,
                "Micro-crèche de Caylus",
                "Association familiale",
                10,
            ),
            (
                communes["Saint-Antonin-Noble-Val"],
                Facility.Kind.ALSH,
                "Accueil de loisirs intercommunal",
                "Communauté de communes",
                60,
            ),
            (
                communes["Laguépie"],
                Facility.Kind.ALSH,
                "Accueil de loisirs de Laguépie",
                "Familles rurales",
                30,
            ),
            (
                communes["Caylus"],
                Facility.Kind.RPE,
                "Relais petite enfance intercommunal",
                "Communauté de communes",
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
    coordinator = users["coordination"]
    caf_seat = seats["Hélène Marty"]
    territory_seat = seats["Sandrine Delpech"]
    favorable = [
        (caf_seat, Approval.Decision.FAVORABLE, ""),
        (territory_seat, Approval.Decision.FAVORABLE, ""),
    ]
    d = datetime.date
    end = d(2024, 12, 31)

    o_enfance = b.objective(
        convention,
        "enfance",
        "Offrir à chaque enfant du territoire un accès aux loisirs éducatifs",
        "Les familles des 17 communes utilisent les accueils de loisirs, où qu'elles habitent.",
        [f["alsh"], f["alsh-transport"]],
        stake_title="Un accès équitable aux loisirs éducatifs sur un territoire étendu",
    )
    o_jeunesse = b.objective(
        convention,
        "jeunesse",
        "Faire des jeunes des acteurs du territoire",
        "Les 11-17 ans disposent de lieux et portent leurs propres projets.",
        [f["jeunes"], f["jeunes-atout"]],
        stake_title="Des jeunes qui trouvent leur place sur le territoire",
    )
    o_parents = b.objective(
        convention,
        "parentalite",
        "Rompre l'isolement des parents",
        "Les parents trouvent près de chez eux des lieux d'échange et de soutien.",
        [f["parents"]],
    )
    o_droits = b.objective(
        convention,
        "acces-aux-droits",
        "Réduire le non-recours aux droits et l'exclusion numérique",
        "Chaque habitant sait où être accompagné dans ses démarches, en ligne ou non.",
        [f["droits"], f["numerique"]],
        stake_title="L'accès aux droits à l'ère du numérique",
    )
    o_logement = b.objective(
        convention,
        "logement",
        "Faciliter le logement des jeunes et des familles",
        "Les jeunes actifs trouvent une solution de logement sur le territoire.",
        [f["logement"]],
    )
    o_avs = b.objective(
        convention,
        "animation-vie-sociale",
        "Soutenir les initiatives d'habitants et lutter contre l'isolement",
        "Les habitants disposent d'un lieu pour porter des projets collectifs.",
        [f["avs"], f["seniors"]],
    )
    o_social = b.objective(
        convention,
        "accompagnement-social",
        "Rapprocher l'accompagnement social des habitants",
        "Un premier accueil social est possible dans chaque bassin de vie.",
        [f["social"]],
    )
    b.indicator(
        {"objective": o_droits},
        {
            "name": "Taux de non-recours estimé au RSA et à la prime d'activité",
            "kind": Indicator.Kind.OUTCOME,
            "unit": "%",
            "baseline": (d(2021, 1, 1), 32),
            "target": (end, 24),
            "direction": Indicator.Direction.DECREASE,
            "source": "Caf — data mining du non-recours",
            "measurements": [
                (d(2022, 12, 31), 30, ""),
                (d(2023, 12, 31), 27, "Effet des permanences France services."),
            ],
        },
        entered_by=coordinator,
    )

    communes = territory.communes
    specs = [
        {
            "number": "FA-01",
            "title": "Coordonner les accueils de loisirs et organiser le transport du mercredi",
            "thematic": "enfance",
            "objective": o_enfance,
            "status": ActionSheet.Status.IN_PROGRESS,
            "context": "Trois accueils de loisirs peu coordonnés ; renoncement faute de transport.",
            "goals": "Harmoniser projets et tarifs ; desservir les petites communes le mercredi.",
            "description": (
                "Projet éducatif intercommunal commun aux trois accueils de loisirs ; "
                "navette du mercredi desservant les communes du plateau."
            ),
            "target_public": "Enfants de 3 à 11 ans et leurs familles",
            "lead": "Communauté de communes — coordinatrice enfance-jeunesse",
            "lead_user": coordinator,
            "partners": "Familles rurales, communes, Caf",
            "communes": [
                communes["Saint-Antonin-Noble-Val"],
                communes["Caylus"],
                communes["Laguépie"],
                communes["Parisot"],
            ],
            "start": d(2022, 1, 1),
            "end": end,
            "expected_results": "Fréquentation en hausse des enfants des petites communes.",
            "approvals": favorable,
            "funding": [
                ("Caf — bonus territoire", 2022, "18000", "18000"),
                ("Caf — bonus territoire", 2023, "18000", "17250"),
                ("Communauté de communes", 2023, "22000", "22000", INVESTMENT),
                ("Communauté de communes", 2024, "22000", "9500"),
            ],
            "indicators": [
                {
                    "name": "Enfants des petites communes inscrits en accueil de loisirs",
                    "kind": Indicator.Kind.OUTCOME,
                    "unit": "enfants",
                    "baseline": (d(2021, 9, 1), 35),
                    "target": (end, 70),
                    "source": "Fichiers d'inscription des ALSH",
                    "measurements": [
                        (d(2022, 9, 1), 44, ""),
                        (d(2023, 9, 1), 52, "Navette ouverte en janvier 2023."),
                        (d(2024, 9, 1), 58, ""),
                    ],
                },
                {
                    "name": "Mercredis desservis par la navette (cumul)",
                    "unit": "jours",
                    "baseline": (d(2022, 1, 1), 0),
                    "target": (end, 100),
                    "measurements": [(d(2023, 12, 31), 30, ""), (d(2024, 6, 30), 48, "")],
                },
            ],
        },
        {
            "number": "FA-02",
            "title": "Espace jeunes itinérant",
            "thematic": "jeunesse",
            "objective": o_jeunesse,
            "status": ActionSheet.Status.IN_PROGRESS,
            "context": "Aucun lieu pour les 11-17 ans hors de Saint-Antonin-Noble-Val.",
            "goals": "Aller vers les jeunes dans les communes ; accompagner leurs projets.",
            "description": "Un animateur et un véhicule aménagé, deux soirs par semaine et "
            "pendant les vacances, dans six communes.",
            "target_public": "Jeunes de 11 à 17 ans",
            "lead": "Communauté de communes — service jeunesse",
            "lead_user": coordinator,
            "partners": "Collège de Caylus, associations sportives, MSA",
            "communes": [
                communes[n]
                for n in (
                    "Caylus",
                    "Varen",
                    "Verfeil",
                    "Laguépie",
                    "Parisot",
                    "Saint-Antonin-Noble-Val",
                )
            ],
            "start": d(2022, 4, 1),
            "end": end,
            "approvals": favorable,
            "funding": [
                ("Caf — prestation de service jeunes", 2023, "15000", "15000"),
                ("MSA", 2023, "4000", "4000"),
                ("Communauté de communes", 2023, "12000", "12000"),
                ("Caf — prestation de service jeunes", 2024, "15000", "7200"),
            ],
            "indicators": [
                {
                    "name": "Jeunes différents accueillis dans l'année",
                    "unit": "jeunes",
                    "baseline": (d(2022, 1, 1), 0),
                    "target": (end, 120),
                    "measurements": [
                        (d(2022, 12, 31), 61, "Démarrage en avril."),
                        (d(2023, 12, 31), 96, ""),
                    ],
                },
                {
                    "name": "Projets portés par des jeunes",
                    "kind": Indicator.Kind.OUTCOME,
                    "unit": "projets",
                    "baseline": (d(2022, 1, 1), 0),
                    "target": (end, 10),
                    "measurements": [(d(2023, 12, 31), 4, "Dont un séjour autofinancé.")],
                },
            ],
        },
        {
            "number": "FA-03",
            "title": "Cafés des parents et ateliers parents-enfants",
            "thematic": "parentalite",
            "objective": o_parents,
            "status": ActionSheet.Status.DONE,
            "status_reason": "Programme mené à son terme ; reconduit dans le droit commun.",
            "context": "Un parent sur trois se dit isolé.",
            "description": "Un café des parents mensuel dans trois communes, ateliers "
            "parents-enfants pendant les vacances.",
            "target_public": "Parents d'enfants de 0 à 11 ans",
            "lead": "Centre social intercommunal",
            "partners": "REAAP, PMI, écoles",
            "communes": [
                communes["Saint-Antonin-Noble-Val"],
                communes["Caylus"],
                communes["Laguépie"],
            ],
            "start": d(2022, 1, 1),
            "end": d(2023, 12, 31),
            "approvals": favorable,
            "funding": [
                ("Caf — REAAP", 2022, "6000", "5800"),
                ("Caf — REAAP", 2023, "6000", "6000"),
            ],
            "indicators": [
                {
                    "name": "Participations aux cafés des parents",
                    "unit": "participations",
                    "baseline": (d(2021, 12, 31), 0),
                    "target": (d(2023, 12, 31), 120),
                    "measurements": [(d(2022, 12, 31), 85, ""), (d(2023, 12, 31), 140, "")],
                },
            ],
        },
        {
            "number": "FA-04",
            "title": "France services et accompagnement au numérique",
            "thematic": "acces-aux-droits",
            "other_thematics": ["inclusion-numerique"],
            "objective": o_droits,
            "status": ActionSheet.Status.IN_PROGRESS,
            "context": "Non-recours élevé ; zones blanches ; démarches en ligne excluantes.",
            "description": "Permanences France services itinérantes, conseiller numérique, "
            "ateliers d'initiation.",
            "target_public": "Allocataires âgés, familles monoparentales, tous habitants",
            "lead": "Communauté de communes — France services",
            "lead_user": coordinator,
            "partners": "Caf, CPAM, Carsat, MSA, Département",
            "communes": [communes["Saint-Antonin-Noble-Val"], communes["Caylus"]],
            "start": d(2022, 1, 1),
            "end": end,
            "approvals": favorable,
            "funding": [
                ("État — France services", 2023, "30000", "30000"),
                ("Caf", 2023, "8000", "8000"),
                ("Communauté de communes", 2024, "15000", "6000", INVESTMENT),
            ],
            "indicators": [
                {
                    "name": "Personnes accompagnées dans leurs démarches",
                    "unit": "personnes",
                    "baseline": (d(2021, 12, 31), 150),
                    "target": (end, 600),
                    "frequency": Indicator.Frequency.HALF_YEARLY,
                    "measurements": [
                        (d(2022, 12, 31), 310, ""),
                        (d(2023, 6, 30), 380, ""),
                        (d(2023, 12, 31), 455, ""),
                    ],
                },
            ],
        },
        {
            "number": "FA-05",
            "title": "Accès au logement des jeunes actifs et des saisonniers",
            "thematic": "logement",
            "objective": o_logement,
            "status": ActionSheet.Status.VALIDATED,
            "context": "Parc locatif rare et ancien.",
            "description": "Recensement des logements vacants, intermédiation locative, "
            "convention avec un organisme HLM.",
            "target_public": "Jeunes de 18 à 30 ans, saisonniers",
            "lead": "Communauté de communes — service habitat",
            "partners": "ADIL, bailleurs sociaux, Action logement",
            "start": d(2024, 1, 1),
            "end": end,
            "approvals": favorable,
            "funding": [("Communauté de communes", 2024, "10000", "0")],
            "indicators": [
                {
                    "name": "Jeunes relogés par l'intermédiation locative",
                    "unit": "ménages",
                    "baseline": (d(2024, 1, 1), 0),
                    "target": (end, 8),
                },
            ],
        },
        {
            "number": "FA-06",
            "title": "Créer un espace de vie sociale à Caylus",
            "thematic": "animation-vie-sociale",
            "objective": o_avs,
            "status": ActionSheet.Status.SUBMITTED,
            "context": "Initiatives d'habitants sans structure ; isolement des aînés.",
            "description": "Accompagner un collectif d'habitants vers l'agrément espace de vie "
            "sociale.",
            "target_public": "Habitants, dont les personnes âgées isolées",
            "lead": "Commune de Caylus",
            "partners": "Fédération des centres sociaux, Caf",
            "communes": [communes["Caylus"]],
            "start": d(2024, 9, 1),
            "end": end,
            "funding": [("Caf — animation de la vie sociale", 2024, "12000", "0")],
            "indicators": [
                {
                    "name": "Habitants impliqués dans le collectif",
                    "unit": "personnes",
                    "baseline": (d(2024, 6, 1), 8),
                    "target": (end, 25),
                },
            ],
        },
        {
            "number": "FA-07",
            "title": "Premier accueil social inconditionnel de proximité",
            "thematic": "accompagnement-social",
            "objective": o_social,
            "status": ActionSheet.Status.DRAFT,
            "context": "Permanences sociales concentrées à Saint-Antonin-Noble-Val.",
            "lead": "Département de Tarn-et-Garonne",
            "partners": "Communes, France services, Caf",
            "indicators": [
                {
                    "name": "Points de premier accueil social ouverts",
                    "unit": "points",
                    "baseline": (d(2024, 1, 1), 1),
                    "target": (end, 4),
                },
            ],
        },
    ]
    for spec in specs:
        b.sheet(convention, spec, editor=coordinator)


def _changes(b: DemoBuilder, convention: Convention, users: dict[str, User]) -> None:
    d = datetime.date
    observer = users["coordination"]
    objective_jeunesse = Objective.objects.filter(
        convention=convention, title="Faire des jeunes des acteurs du territoire"
    ).first()
    objective_droits = Objective.objects.filter(
        convention=convention,
        title="Réduire le non-recours aux droits et l'exclusion numérique",
    ).first()
    changes = [
        {
            "title": "Les jeunes portent des projets sur leur territoire",
            "actor": "Jeunes de 11 à 17 ans",
            "thematic": "jeunesse",
            "objective": objective_jeunesse,
            "markers": [
                (
                    ProgressMarker.Level.EXPECT,
                    "Les jeunes fréquentent l'espace jeunes itinérant dans leur commune.",
                    [
                        (
                            d(2022, 12, 31),
                            Observation.Degree.SEEN,
                            "Six communes desservies, fréquentation régulière.",
                        )
                    ],
                ),
                (
                    ProgressMarker.Level.LIKE,
                    "Des groupes de jeunes proposent et organisent leurs activités.",
                    [
                        (
                            d(2023, 12, 31),
                            Observation.Degree.PARTIAL,
                            "Quatre projets, tous à Caylus et Saint-Antonin-Noble-Val.",
                        )
                    ],
                ),
                (
                    ProgressMarker.Level.LOVE,
                    "Des jeunes siègent dans les instances et sont consultés par les élus.",
                    [(d(2023, 12, 31), Observation.Degree.NOT_SEEN, "Pas encore engagé.")],
                ),
            ],
        },
        {
            "title": "Les habitants éloignés du numérique font valoir leurs droits",
            "actor": "Allocataires âgés, familles monoparentales",
            "thematic": "acces-aux-droits",
            "objective": objective_droits,
            "markers": [
                (
                    ProgressMarker.Level.EXPECT,
                    "Les habitants connaissent les permanences France services.",
                    [
                        (
                            d(2023, 6, 30),
                            Observation.Degree.SEEN,
                            "Fréquentation en hausse constante.",
                        )
                    ],
                ),
                (
                    ProgressMarker.Level.LIKE,
                    "Les habitants font seuls une partie de leurs démarches en ligne.",
                    [
                        (
                            d(2023, 12, 31),
                            Observation.Degree.PARTIAL,
                            "Un tiers des participants aux ateliers déclarent être autonomes.",
                        )
                    ],
                ),
                (
                    ProgressMarker.Level.LOVE,
                    "Les habitants formés accompagnent à leur tour leurs voisins.",
                    [],
                ),
            ],
        },
    ]
    b.changes(convention, changes, observer=observer)
