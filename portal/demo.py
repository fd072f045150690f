"""Demo data: the two conventions of ``shared/seeds/`` and one user per role.

Everything is looked up by a natural key and created only when missing: running
the seed twice changes nothing, and on a database that already holds other data
it neither modifies, duplicates nor deletes anything (it only adds what the
demo lacks). Facts come from the two texts (signature on 15 December 2021,
Xavier Renier and Charlotte Hubert-Boyer for the Caf de Tarn-et-Garonne, the 17
communes of the communauté de communes, the Sorbiers operational committee with
three elected officials, the DGS and the head of the Enfance jeunesse éducation
service facing four Caf staff); everything else (figures, fiches, people other
than those named in the texts) is plausible but invented for the demonstration.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from actions.models import (
    ActionSheet,
    ActionSheetTransition,
    Approval,
    FundingLine,
    Objective,
    Stake,
)
from conventions.models import (
    Caf,
    Collectivity,
    Committee,
    CommitteeMember,
    Convention,
    Meeting,
    Side,
    Signatory,
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

DEMO_PASSWORD = "demo-ctg-2026"

QRGA_NAME = "CTG de la communauté de communes Quercy Rouergue Gorges de l'Aveyron"
SORBIERS_NAME = "CTG de la commune de Sorbiers"
QRGA_SIREN = "248200107"
SORBIERS_INSEE = "42302"

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
SORBIERS_THEMATICS = [
    "petite-enfance",
    "enfance",
    "jeunesse",
    "parentalite",
    "acces-aux-droits",
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


@dataclass
class DemoLogin:
    email: str
    role_label: str
    scope: str
    password_is_demo: bool


@dataclass
class SeedResult:
    created: Counter = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


class _Seeder:
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

    # -- shared referential ----------------------------------------------------------
    def cafs(self) -> None:
        self.caf82, _ = self.ensure(
            Caf, {"department_code": "82"}, {"name": "Caf de Tarn-et-Garonne"}
        )
        self.caf42, _ = self.ensure(Caf, {"department_code": "42"}, {"name": "Caf de la Loire"})

    def collectivities(self) -> None:
        self.epci, _ = self.ensure(
            Collectivity,
            {"kind": Collectivity.Kind.EPCI, "code": QRGA_SIREN},
            {
                "name": "Communauté de communes Quercy Rouergue Gorges de l'Aveyron",
                "population": sum(pop for _, _, pop in QRGA_COMMUNES),
                "caf": self.caf82,
            },
        )
        self.communes: dict[str, Collectivity] = {}
        for code, name, population in QRGA_COMMUNES:
            self.communes[name], _ = self.ensure(
                Collectivity,
                {"kind": Collectivity.Kind.COMMUNE, "code": code},
                {
                    "name": name,
                    "population": population,
                    "parent_epci": self.epci,
                    "caf": self.caf82,
                },
            )
        self.sorbiers, _ = self.ensure(
            Collectivity,
            {"kind": Collectivity.Kind.COMMUNE, "code": SORBIERS_INSEE},
            {"name": "Sorbiers", "population": 7900, "caf": self.caf42},
        )

    # -- users -----------------------------------------------------------------------
    def users(self) -> None:
        specs = [
            (
                "admin@ctg.example",
                "Administratrice de la plateforme (superutilisatrice)",
                "toutes les conventions, administration",
                {
                    "first_name": "Ada",
                    "last_name": "Administratrice",
                    "is_staff": True,
                    "is_superuser": True,
                },
            ),
            (
                "agent.caf82@ctg.example",
                "Agent de la Caf de Tarn-et-Garonne",
                "conventions de la Caf 82 (Quercy Rouergue Gorges de l'Aveyron)",
                {
                    "first_name": "Léa",
                    "last_name": "Bonnet",
                    "role": User.Role.CAF_STAFF,
                    "caf": self.caf82,
                    "job_title": "Conseillère territoriale",
                },
            ),
            (
                "agent.caf42@ctg.example",
                "Agent de la Caf de la Loire",
                "conventions de la Caf 42 (Sorbiers)",
                {
                    "first_name": "Karim",
                    "last_name": "Benali",
                    "role": User.Role.CAF_STAFF,
                    "caf": self.caf42,
                    "job_title": "Conseiller territorial",
                },
            ),
            (
                "coordination@ctg.example",
                "Chargée de coopération CTG (communauté de communes)",
                "CTG Quercy Rouergue Gorges de l'Aveyron : fiches et mesures",
                {
                    "first_name": "Camille",
                    "last_name": "Vidal",
                    "role": User.Role.COORDINATOR,
                    "collectivity": self.epci,
                    "job_title": "Chargée de coopération CTG",
                },
            ),
            (
                "elu@ctg.example",
                "Élu de Saint-Antonin-Noble-Val (commune signataire)",
                "CTG Quercy Rouergue Gorges de l'Aveyron, en lecture",
                {
                    "first_name": "Pierre",
                    "last_name": "Lacombe",
                    "role": User.Role.ELECTED,
                    "collectivity": self.communes["Saint-Antonin-Noble-Val"],
                    "job_title": "Adjoint au maire chargé des affaires sociales",
                },
            ),
            (
                "copil.caf@ctg.example",
                "Membre du comité de pilotage, collège Caf",
                "CTG Quercy Rouergue Gorges de l'Aveyron : lecture et avis sur les fiches",
                {
                    "first_name": "Hélène",
                    "last_name": "Marty",
                    "role": User.Role.OTHER,
                    "job_title": "Administratrice de la Caf de Tarn-et-Garonne",
                },
            ),
            (
                "copil.territoire@ctg.example",
                "Membre du comité de pilotage, collège territoire (élue de Varen)",
                "CTG Quercy Rouergue Gorges de l'Aveyron : lecture et avis sur les fiches",
                {
                    "first_name": "Sandrine",
                    "last_name": "Delpech",
                    "role": User.Role.ELECTED,
                    "collectivity": self.communes["Varen"],
                    "job_title": "Conseillère communautaire déléguée à l'enfance et à la jeunesse",
                },
            ),
            (
                "invite@ctg.example",
                "Personne sans accès (aucune convention)",
                "aucune convention",
                {"first_name": "Oscar", "last_name": "Invité", "role": User.Role.OTHER},
            ),
        ]
        self.user: dict[str, User] = {}
        for email, role_label, scope, attrs in specs:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User(email=email, **attrs)
                user.set_password(DEMO_PASSWORD)
                user.full_clean()
                user.save()
                self.result.created[User._meta.verbose_name_plural] += 1
            self.user[email.split("@")[0]] = user
            self.result.logins.append(
                DemoLogin(
                    email=email,
                    role_label=role_label,
                    scope=scope,
                    password_is_demo=user.check_password(DEMO_PASSWORD),
                )
            )

    # -- conventions -----------------------------------------------------------------
    def qrga(self) -> None:
        signed = datetime.date(2021, 12, 15)
        convention, _ = self.ensure(
            Convention,
            {"caf": self.caf82, "name": QRGA_NAME},
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
                "thematics": [self.thematic(c) for c in QRGA_THEMATICS],
                "territories": [self.epci, *self.communes.values()],
            },
        )
        self.qrga_convention = convention

        self.ensure(
            Signatory,
            {"convention": convention, "caf": self.caf82},
            {
                "role": Signatory.Role.SIGNATORY,
                "representative_name": "Xavier Renier",
                "representative_title": (
                    "président du conseil d'administration, avec Charlotte Hubert-Boyer "
                    "pour la direction de la Caf"
                ),
                "signed_on": signed,
                "order": 1,
            },
        )
        self.ensure(
            Signatory,
            {"convention": convention, "collectivity": self.epci},
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
            self.ensure(
                Signatory,
                {"convention": convention, "collectivity": self.communes[name]},
                {
                    "role": Signatory.Role.SIGNATORY,
                    "representative_name": f"Le maire de {name}",
                    "resolution_reference": "Délibération du conseil municipal",
                    "resolution_date": resolution_dates[name],
                    "signed_on": signed,
                    "order": order,
                },
            )

        copil, _ = self.ensure(
            Committee,
            {"convention": convention, "kind": Committee.Kind.COPIL, "name": "Comité de pilotage"},
            {"approvals_required_per_side": 1},
        )
        copil_members = [
            (Side.CAF, "Xavier Renier", "Président du conseil d'administration de la Caf", None),
            (Side.CAF, "Charlotte Hubert-Boyer", "Direction de la Caf de Tarn-et-Garonne", None),
            (
                Side.CAF,
                "Hélène Marty",
                "Administratrice de la Caf de Tarn-et-Garonne",
                self.user["copil.caf"],
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
                self.user["copil.territoire"],
            ),
        ]
        self.qrga_seats = {}
        for side, name, function, user in copil_members:
            seat, _ = self.ensure(
                CommitteeMember,
                {"committee": copil, "name": name},
                {"side": side, "function": function, "user": user},
            )
            self.qrga_seats[name] = seat

        technical, _ = self.ensure(
            Committee,
            {
                "convention": convention,
                "kind": Committee.Kind.TECHNICAL,
                "name": "Comité technique",
            },
        )
        for side, name, function in [
            (Side.CAF, "Conseillère territoriale de la Caf", "Caf de Tarn-et-Garonne"),
            (Side.CAF, "Conseiller technique enfance-jeunesse", "Caf de Tarn-et-Garonne"),
            (Side.CAF, "Chargée d'études statistiques", "Caf de Tarn-et-Garonne"),
            (Side.TERRITORY, "Chargée de coopération CTG", "Communauté de communes"),
            (Side.TERRITORY, "Directrice générale des services", "Communauté de communes"),
            (Side.TERRITORY, "Coordinatrice enfance-jeunesse", "Communauté de communes"),
        ]:
            self.ensure(
                CommitteeMember,
                {"committee": technical, "name": name},
                {"side": side, "function": function},
            )

        self.meetings(
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

        self.diagnostic_qrga(convention)
        self.action_plan_qrga(convention)
        self.changes_qrga(convention)

    def sorbiers_convention(self) -> None:
        convention, _ = self.ensure(
            Convention,
            {"caf": self.caf42, "name": SORBIERS_NAME},
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
                "thematics": [self.thematic(c) for c in SORBIERS_THEMATICS],
                "territories": [self.sorbiers],
            },
        )
        self.sorbiers_convention_obj = convention
        self.ensure(
            Signatory,
            {"convention": convention, "caf": self.caf42},
            {"representative_name": "La direction de la Caf de la Loire", "order": 1},
        )
        self.ensure(
            Signatory,
            {"convention": convention, "collectivity": self.sorbiers},
            {
                "role": Signatory.Role.LEAD,
                "representative_name": "Le maire de Sorbiers",
                "order": 2,
            },
        )
        committee, _ = self.ensure(
            Committee,
            {
                "convention": convention,
                "kind": Committee.Kind.TECHNICAL,
                "name": "Comité opérationnel co-piloté",
            },
        )
        # The text says "en nombre égal" yet lists 5 people for the commune and 4 for the Caf:
        # modelled as written, so the parity warning shows.
        members = [
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
        self.sorbiers_seats = {}
        for side, name, function in members:
            seat, _ = self.ensure(
                CommitteeMember,
                {"committee": committee, "name": name},
                {"side": side, "function": function},
            )
            self.sorbiers_seats[name] = seat
        self.meetings(
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
        self.diagnostic_sorbiers(convention)
        self.action_plan_sorbiers(convention)

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

    def diagnostic_qrga(self, convention: Convention) -> None:
        diagnostic, _ = self.ensure(
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
        self.qrga_findings = self.findings(
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
        self.statistics(
            self.epci,
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
            self.statistics(
                self.communes[name],
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
        for collectivity, kind, name, manager, places in [
            (
                "Saint-Antonin-Noble-Val",
                Facility.Kind.EAJE,
                "Multi-accueil « Les Petits Pas »",
                "Communauté de communes",
                20,
            ),
            ("Caylus", Facility.Kind.EAJE, "Micro-crèche de Caylus", "Association familiale", 10),
            (
                "Saint-Antonin-Noble-Val",
                Facility.Kind.ALSH,
                "Accueil de loisirs intercommunal",
                "Communauté de communes",
                60,
            ),
            (
                "Laguépie",
                Facility.Kind.ALSH,
                "Accueil de loisirs de Laguépie",
                "Familles rurales",
                30,
            ),
            (
                "Caylus",
                Facility.Kind.RPE,
                "Relais petite enfance intercommunal",
                "Communauté de communes",
                None,
            ),
        ]:
            self.ensure(
                Facility,
                {"collectivity": self.communes[collectivity], "kind": kind, "name": name},
                {"manager": manager, "places": places},
            )

    def diagnostic_sorbiers(self, convention: Convention) -> None:
        diagnostic, _ = self.ensure(
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
        self.sorbiers_findings = self.findings(
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
        self.statistics(
            self.sorbiers,
            {
                "allocataires": {2023: 1085, 2024: 1102, 2025: 1119},
                "enfants-moins-3-ans": {2023: 214, 2024: 209, 2025: 217},
                "taux-couverture": {2023: 61.4, 2024: 62.0, 2025: 60.8},
                "allocataires-bas-revenus": {2023: 236, 2024: 241, 2025: 248},
                "part-dependants-prestations": {2023: 8.9, 2024: 9.2, 2025: 9.4},
            },
        )
        for kind, name, manager, places in [
            (Facility.Kind.EAJE, "Multi-accueil municipal", "Commune de Sorbiers", 36),
            (Facility.Kind.ALSH, "Accueil de loisirs des Bruneaux", "Commune de Sorbiers", 80),
            (Facility.Kind.RPE, "Relais petite enfance", "Commune de Sorbiers", None),
        ]:
            self.ensure(
                Facility,
                {"collectivity": self.sorbiers, "kind": kind, "name": name},
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
        approved = status in (
            ActionSheet.Status.VALIDATED,
            ActionSheet.Status.IN_PROGRESS,
            ActionSheet.Status.DONE,
        )
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
            path = {
                ActionSheet.Status.DRAFT: [],
                ActionSheet.Status.SUBMITTED: ["brouillon", "soumise"],
                ActionSheet.Status.VALIDATED: ["brouillon", "soumise", "validee"],
                ActionSheet.Status.TO_REVIEW: ["brouillon", "soumise", "a_revoir"],
                ActionSheet.Status.IN_PROGRESS: ["brouillon", "soumise", "validee", "en_cours"],
                ActionSheet.Status.DONE: [
                    "brouillon",
                    "soumise",
                    "validee",
                    "en_cours",
                    "realisee",
                ],
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
        for funder, year, planned, spent in spec.get("funding", []):
            self.ensure(
                FundingLine,
                {"sheet": sheet, "funder": funder, "year": year},
                {"planned_amount": Decimal(planned), "spent_amount": Decimal(spent)},
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

    def action_plan_qrga(self, convention: Convention) -> None:
        f = self.qrga_findings
        coordinator = self.user["coordination"]
        caf_seat = self.qrga_seats["Hélène Marty"]
        territory_seat = self.qrga_seats["Sandrine Delpech"]
        favorable = [
            (caf_seat, Approval.Decision.FAVORABLE, ""),
            (territory_seat, Approval.Decision.FAVORABLE, ""),
        ]
        d = datetime.date
        end = d(2024, 12, 31)

        o_enfance = self.objective(
            convention,
            "enfance",
            "Offrir à chaque enfant du territoire un accès aux loisirs éducatifs",
            "Les familles des 17 communes utilisent les accueils de loisirs, où qu'elles habitent.",
            [f["alsh"], f["alsh-transport"]],
            stake_title="Un accès équitable aux loisirs éducatifs sur un territoire étendu",
        )
        o_jeunesse = self.objective(
            convention,
            "jeunesse",
            "Faire des jeunes des acteurs du territoire",
            "Les 11-17 ans disposent de lieux et portent leurs propres projets.",
            [f["jeunes"], f["jeunes-atout"]],
            stake_title="Des jeunes qui trouvent leur place sur le territoire",
        )
        o_parents = self.objective(
            convention,
            "parentalite",
            "Rompre l'isolement des parents",
            "Les parents trouvent près de chez eux des lieux d'échange et de soutien.",
            [f["parents"]],
        )
        o_droits = self.objective(
            convention,
            "acces-aux-droits",
            "Réduire le non-recours aux droits et l'exclusion numérique",
            "Chaque habitant sait où être accompagné dans ses démarches, en ligne ou non.",
            [f["droits"], f["numerique"]],
            stake_title="L'accès aux droits à l'ère du numérique",
        )
        o_logement = self.objective(
            convention,
            "logement",
            "Faciliter le logement des jeunes et des familles",
            "Les jeunes actifs trouvent une solution de logement sur le territoire.",
            [f["logement"]],
        )
        o_avs = self.objective(
            convention,
            "animation-vie-sociale",
            "Soutenir les initiatives d'habitants et lutter contre l'isolement",
            "Les habitants disposent d'un lieu pour porter des projets collectifs.",
            [f["avs"], f["seniors"]],
        )
        o_social = self.objective(
            convention,
            "accompagnement-social",
            "Rapprocher l'accompagnement social des habitants",
            "Un premier accueil social est possible dans chaque bassin de vie.",
            [f["social"]],
        )
        self.indicator(
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

        communes = self.communes
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
                    ("Communauté de communes", 2023, "22000", "22000"),
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
                    ("Communauté de communes", 2024, "15000", "6000"),
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
            self.sheet(convention, spec, editor=coordinator)

    def action_plan_sorbiers(self, convention: Convention) -> None:
        f = self.sorbiers_findings
        editor = self.user["agent.caf42"]
        seats = self.sorbiers_seats
        favorable = [
            (seats["Conseillère territoriale"], Approval.Decision.FAVORABLE, ""),
            (seats["Élue de Sorbiers — enfance et éducation"], Approval.Decision.FAVORABLE, ""),
        ]
        d = datetime.date
        start, end = d(2027, 1, 1), d(2030, 12, 31)
        o_accueil = self.objective(
            convention,
            "petite-enfance",
            "Adapter l'offre d'accueil du jeune enfant à la demande",
            "Les familles trouvent un mode d'accueil dans l'année de leur demande.",
            [f["creche"]],
            stake_title="Une offre d'accueil à la hauteur de l'arrivée de jeunes familles",
        )
        o_loisirs = self.objective(
            convention,
            "enfance",
            "Garantir un accueil de loisirs de qualité le mercredi",
            "Plus aucune famille refusée le mercredi.",
            [f["periscolaire"]],
        )
        o_ados = self.objective(
            convention,
            "jeunesse",
            "Offrir aux adolescents un lieu et des projets",
            "Les 12-17 ans disposent d'un lieu qu'ils font vivre.",
            [f["ados"]],
        )
        o_parents = self.objective(
            convention,
            "parentalite",
            "Accompagner les parents de jeunes enfants",
            "Les parents se sentent soutenus et échangent entre eux.",
            [f["parents"]],
        )
        o_droits = self.objective(
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
                "description": "Extension du multi-accueil et recrutement de quatre "
                "professionnelles.",
                "target_public": "Familles avec enfants de moins de 3 ans",
                "lead": "Commune — service Enfance jeunesse éducation",
                "partners": "Caf, PMI",
                "communes": [self.sorbiers],
                "start": start,
                "end": d(2028, 12, 31),
                "approvals": favorable,
                "funding": [
                    ("Caf — plan rebond petite enfance", 2027, "96000", "0"),
                    ("Commune de Sorbiers", 2027, "140000", "0"),
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
                "communes": [self.sorbiers],
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
            self.sheet(convention, spec, editor=editor)

    # -- the change-oriented side ----------------------------------------------------
    def changes_qrga(self, convention: Convention) -> None:
        d = datetime.date
        observer = self.user["coordination"]
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
        for spec in changes:
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


def seed_demo(*, today: datetime.date | None = None) -> SeedResult:
    """Create whatever the demo lacks, in one transaction, and say what was created."""
    seeder = _Seeder(today=today)
    with transaction.atomic():
        seeder.cafs()
        seeder.collectivities()
        seeder.users()
        seeder.qrga()
        seeder.sorbiers_convention()
    return seeder.result
