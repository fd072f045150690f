"""The shape of the national data set: names, weights, proportions (bench/scale.py)."""

from __future__ import annotations

import datetime
import functools
import random
from dataclasses import dataclass

from actions import workflow
from actions.models import ActionSheet, Approval
from conventions.models import (
    Caf,
    Convention,
    siren_is_valid,
)
from evaluation.imports import period_ends as _period_ends

SUFFIX = "(jeu d'échelle)"
EMAIL_DOMAIN = "jeu-echelle.ctg.test"
BENCH_EMAILS = {
    "caf_staff": f"agent.caf@{EMAIL_DOMAIN}",
    "coordinator": f"coordination@{EMAIL_DOMAIN}",
    "elected": f"elu@{EMAIL_DOMAIN}",
    "member": f"membre.copil@{EMAIL_DOMAIN}",
}

DEPARTMENTS = [
    ("01", "Ain"), ("02", "Aisne"), ("03", "Allier"), ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"), ("06", "Alpes-Maritimes"), ("07", "Ardèche"), ("08", "Ardennes"),
    ("09", "Ariège"), ("10", "Aube"), ("11", "Aude"), ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"), ("14", "Calvados"), ("15", "Cantal"), ("16", "Charente"),
    ("17", "Charente-Maritime"), ("18", "Cher"), ("19", "Corrèze"), ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"), ("21", "Côte-d'Or"), ("22", "Côtes-d'Armor"), ("23", "Creuse"),
    ("24", "Dordogne"), ("25", "Doubs"), ("26", "Drôme"), ("27", "Eure"),
    ("28", "Eure-et-Loir"), ("29", "Finistère"), ("30", "Gard"), ("31", "Haute-Garonne"),
    ("32", "Gers"), ("33", "Gironde"), ("34", "Hérault"), ("35", "Ille-et-Vilaine"),
    ("36", "Indre"), ("37", "Indre-et-Loire"), ("38", "Isère"), ("39", "Jura"),
    ("40", "Landes"), ("41", "Loir-et-Cher"), ("42", "Loire"), ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"), ("45", "Loiret"), ("46", "Lot"), ("47", "Lot-et-Garonne"),
    ("48", "Lozère"), ("49", "Maine-et-Loire"), ("50", "Manche"), ("51", "Marne"),
    ("52", "Haute-Marne"), ("53", "Mayenne"), ("54", "Meurthe-et-Moselle"), ("55", "Meuse"),
    ("56", "Morbihan"), ("57", "Moselle"), ("58", "Nièvre"), ("59", "Nord"),
    ("60", "Oise"), ("61", "Orne"), ("62", "Pas-de-Calais"), ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"), ("65", "Hautes-Pyrénées"), ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"), ("68", "Haut-Rhin"), ("69", "Rhône"), ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"), ("72", "Sarthe"), ("73", "Savoie"), ("74", "Haute-Savoie"),
    ("75", "Paris"), ("76", "Seine-Maritime"), ("77", "Seine-et-Marne"), ("78", "Yvelines"),
    ("79", "Deux-Sèvres"), ("80", "Somme"), ("81", "Tarn"), ("82", "Tarn-et-Garonne"),
    ("83", "Var"), ("84", "Vaucluse"), ("85", "Vendée"), ("86", "Vienne"),
    ("87", "Haute-Vienne"), ("88", "Vosges"), ("89", "Yonne"), ("90", "Territoire de Belfort"),
    ("91", "Essonne"), ("92", "Hauts-de-Seine"), ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"), ("95", "Val-d'Oise"), ("971", "Guadeloupe"), ("972", "Martinique"),
    ("973", "Guyane"), ("974", "La Réunion"), ("976", "Mayotte"),
]  # fmt: skip

FIRST_NAMES = [
    "Anne", "Bruno", "Camille", "David", "Élodie", "Fabrice", "Gaëlle", "Hugo", "Inès",
    "Julien", "Karine", "Laurent", "Marion", "Nicolas", "Océane", "Pierre", "Quentin",
    "Sophie", "Thomas", "Valérie", "Yann", "Zoé",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon",
    "Michel", "Garcia", "Roux", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert",
    "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier", "Blanc",
]  # fmt: skip
PLACE_ROOTS = [
    "Saint-Martin", "Beaumont", "Villeneuve", "Montagnac", "Castelnau", "Fontenay",
    "Roquefort", "Belleville", "Champagne", "Mirabel", "Sauveterre", "Valence",
    "Clairefont", "Lavergne", "Puylaurens", "Bellegarde", "Montfort", "Rochefort",
]  # fmt: skip
PLACE_SUFFIXES = [
    "sur-Loire", "les-Bains", "en-Vallée", "le-Haut", "la-Forêt", "du-Lac", "des-Prés",
    "sur-Mer", "le-Vieux", "en-Plaine", "les-Vignes", "du-Pont",
]  # fmt: skip
SHEET_TITLES = [
    "Développer l'offre d'accueil du jeune enfant",
    "Créer un relais petite enfance itinérant",
    "Soutenir les lieux d'accueil enfants-parents",
    "Structurer l'accueil de loisirs du mercredi",
    "Accompagner les initiatives des jeunes",
    "Ouvrir un espace de vie sociale",
    "Renforcer l'accès aux droits en milieu rural",
    "Déployer des permanences numériques",
    "Prévenir les ruptures de parcours logement",
    "Favoriser l'inclusion des enfants en situation de handicap",
    "Coordonner l'accompagnement social des familles",
    "Mobiliser les habitants dans la vie locale",
    "Faciliter la mobilité des jeunes",
    "Promouvoir la santé des familles",
]  # fmt: skip
INDICATOR_NAMES = [
    ("Nombre de places d'accueil ouvertes", "places"),
    ("Nombre de familles accompagnées", "familles"),
    ("Taux de fréquentation", "%"),
    ("Nombre de jeunes participants", "jeunes"),
    ("Nombre de séances organisées", "séances"),
    ("Nombre de partenaires mobilisés", "partenaires"),
    ("Budget consommé", "€"),
    ("Nombre de démarches accompagnées", "démarches"),
]  # fmt: skip
FUNDERS = ["Caf", "Intercommunalité", "Département", "État", "MSA"]

# Share of the conventions in each phase (the rest are renewals of closed ones).
PHASE_WEIGHTS = [
    (Convention.Phase.IMPLEMENTATION, 66),
    (Convention.Phase.EVALUATION, 9),
    (Convention.Phase.CLOSED, 4),
    (Convention.Phase.SIGNATURE, 4),
    (Convention.Phase.ACTION_PLAN, 7),
    (Convention.Phase.DIAGNOSTIC, 6),
    (Convention.Phase.PREPARATION, 4),
]
S = ActionSheet.Status
SHEET_STATUS_WEIGHTS = {
    "early": [(S.DRAFT, 1)],
    Convention.Phase.ACTION_PLAN: [(S.DRAFT, 4), (S.SUBMITTED, 4), (S.VALIDATED, 3), (S.TO_REVIEW, 1)],
    Convention.Phase.SIGNATURE: [(S.VALIDATED, 9), (S.SUBMITTED, 1)],
    Convention.Phase.IMPLEMENTATION: [
        (S.IN_PROGRESS, 50), (S.VALIDATED, 14), (S.DONE, 15), (S.SUBMITTED, 8),
        (S.TO_REVIEW, 4), (S.DRAFT, 5), (S.ABANDONED, 4),
    ],
    "late": [(S.DONE, 60), (S.IN_PROGRESS, 25), (S.ABANDONED, 10), (S.VALIDATED, 5)],
}  # fmt: skip
MEASURED_PHASES = {
    Convention.Phase.IMPLEMENTATION,
    Convention.Phase.EVALUATION,
    Convention.Phase.CLOSED,
    Convention.Phase.RENEWED,
}
# Fiches with measurements: those approved, and those abandoned after a while.
MEASURED_SHEET_STATUSES = {*workflow.VALIDATED, S.ABANDONED}
FAVORABLE = Approval.Decision.FAVORABLE.value
TO_REVIEW = Approval.Decision.TO_REVIEW.value
FREQUENCY_WEIGHTS = [("monthly", 72), ("quarterly", 22), ("half_yearly", 4), ("yearly", 2)]


@functools.lru_cache(maxsize=4096)
def period_ends(start: datetime.date, end: datetime.date, frequency: str) -> tuple:
    return tuple(_period_ends(start, end, frequency))


def weighted(rng: random.Random, choices):
    values = [c for c, _ in choices]
    weights = [w for _, w in choices]
    return rng.choices(values, weights)[0]


def month_start(year: int, month: int) -> datetime.date:
    year += (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


def luhn_siren(payload: str) -> str:
    for digit in "0123456789":
        if siren_is_valid(payload + digit):
            return payload + digit
    raise AssertionError("unreachable")


def money(value: float) -> str:
    """A non-negative amount with two decimals, as the database takes it."""
    return f"{max(value, 0):.2f}"


@dataclass
class Plan:
    """What to build, decided before writing (sizes and the largest objects)."""

    conventions: int
    cafs: list[tuple[str, str]]  # (code, name) of free départements
    epcis_per_caf: list[int]
    conventions_per_caf: list[int]


def make_plan(conventions: int) -> Plan:
    taken = set(Caf.objects.values_list("department_code", flat=True))
    free = [(code, name) for code, name in DEPARTMENTS if code not in taken]
    if not free:
        raise ValueError("Aucun département libre pour créer les Cafs du jeu d'échelle.")
    n_cafs = max(1, min(len(free), round(conventions * 101 / 1300)))
    n_epcis = max(1, min(conventions, round(conventions * 1250 / 1300)))
    n_epcis = max(n_epcis, n_cafs) if conventions >= n_cafs else n_epcis
    n_cafs = min(n_cafs, n_epcis)
    # The first Caf is the largest: six shares, the others one each.
    first = n_epcis if n_cafs == 1 else max(1, round(n_epcis * 6 / (n_cafs + 5)))
    epcis = [first] + [0] * (n_cafs - 1)
    for i in range(n_epcis - first):
        epcis[1 + i % (n_cafs - 1)] += 1
    # Extra conventions are renewals, given to the Cafs in proportion.
    per_caf = list(epcis)
    for i in range(conventions - n_epcis):
        per_caf[i % n_cafs] += 1
    return Plan(conventions, free[:n_cafs], epcis, per_caf)


# ------------------------------------------------- issue #16: shared, broken down, yearly targets

#: The shared indicators (SDSF) of every Caf: the values of ``SHARED_FIELDS`` that the
#: indicators linked to them repeat, and the range their baselines are drawn from. The
#: first three are linked by the indicators of the general objectives (one each), the
#: last by one fiche indicator in twenty.
SHARED_INDICATORS = [
    {
        "code": "sdsf-couverture",
        "name": "Taux de couverture petite enfance",
        "kind": "contexte",
        "unit": "places pour 100 enfants de moins de 3 ans",
        "direction": "hausse",
        "source": "Cafdata (Cnaf)",
        "frequency": "yearly",
        "definition": "Places d'accueil formel pour 100 enfants de moins de 3 ans.",
        "calculation_method": "Calculé par la Cnaf à partir des places et des naissances.",
        "verification_means": "Publication annuelle Cafdata.",
        "known_limits": "Publié avec un an de décalage.",
        "aggregation": "moyenne",
        "breakdown": "aucune",
        "open_data_dataset": "txcouv_pe_epci",
        "open_data_column": "txcouv_epci",
        "baseline": (35, 75),
    },
    {
        "code": "sdsf-places",
        "name": "Places d'accueil des moins de 3 ans",
        "kind": "resultat",
        "unit": "places",
        "direction": "hausse",
        "source": "Cafdata (Cnaf)",
        "frequency": "yearly",
        "definition": "Places d'accueil des enfants de moins de 3 ans, par commune.",
        "calculation_method": "Somme des places EAJE et d'assistants maternels.",
        "verification_means": "Publication annuelle Cafdata.",
        "known_limits": "Les places d'assistants maternels sont estimées.",
        "aggregation": "somme",
        "breakdown": "commune",
        "open_data_dataset": "nbpla_pe_com",
        "open_data_column": "tot_offre_com",
        "baseline": (50, 600),
    },
    {
        "code": "sdsf-rsa",
        "name": "Foyers allocataires du RSA",
        "kind": "contexte",
        "unit": "foyers",
        "direction": "baisse",
        "source": "Cafdata (Cnaf)",
        "frequency": "yearly",
        "definition": "Foyers allocataires percevant le RSA au 31 décembre, par commune.",
        "calculation_method": "Fichier statistique des allocataires.",
        "verification_means": "Publication annuelle Cafdata.",
        "known_limits": "Les petits effectifs sont masqués.",
        "aggregation": "somme",
        "breakdown": "commune",
        "open_data_dataset": "s_ben_com_f",
        "open_data_column": "indfoy_rsa",
        "baseline": (80, 900),
    },
    {
        "code": "sdsf-familles",
        "name": "Familles accompagnées par les services",
        "kind": "resultat",
        "unit": "familles",
        "direction": "hausse",
        "source": "Suivi des gestionnaires",
        "frequency": "quarterly",
        "definition": "Familles ayant bénéficié d'un accompagnement dans le trimestre.",
        "calculation_method": "Comptage par les gestionnaires, sans doublon.",
        "verification_means": "Tableaux de bord des gestionnaires.",
        "known_limits": "Déclaratif.",
        "aggregation": "somme",
        "breakdown": "aucune",
        "open_data_dataset": "",
        "open_data_column": "",
        "baseline": (20, 300),
    },
]
#: The reference-sheet columns an indicator repeats from its shared indicator (besides the
#: columns the generator always writes: name, kind, unit, direction, source, frequency).
SHEET_COLUMNS = (
    "definition", "calculation_method", "verification_means", "known_limits",
    "aggregation", "breakdown", "open_data_dataset", "open_data_column",
)  # fmt: skip
#: One fiche indicator in SHARED_FICHE_EVERY links the last shared indicator.
SHARED_FICHE_EVERY = 20
#: One fiche indicator in BREAKDOWN_EVERY, when not measured monthly, is broken down by
#: commune (a count: its total is the sum of the communes).
BREAKDOWN_EVERY = 12
#: One indicator in TARGETS_EVERY has yearly targets.
TARGETS_EVERY = 5
#: One indicator in SPREADSHEET_EVERY has its values imported from the workbook.
SPREADSHEET_EVERY = 6
