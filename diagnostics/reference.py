"""The reference data every installation has: thematics and usual statistics.

Loaded by the data migration ``diagnostics/0002`` (and by the tests after a
transactional test has flushed the database).
"""

THEMATICS = [
    ("petite-enfance", "Petite enfance"),
    ("enfance", "Enfance"),
    ("jeunesse", "Jeunesse"),
    ("parentalite", "Parentalité"),
    ("acces-aux-droits", "Accès aux droits"),
    ("inclusion-numerique", "Inclusion numérique"),
    ("animation-vie-sociale", "Animation de la vie sociale"),
    ("logement", "Logement"),
    ("handicap", "Handicap"),
    ("accompagnement-social", "Accompagnement social"),
    ("insertion", "Insertion"),
    ("mobilite", "Mobilité"),
    ("sante", "Santé"),
    ("participation-habitants", "Participation des habitants"),
]

STATISTICS = [
    ("allocataires", "Nombre d'allocataires", "allocataires", None),
    ("enfants-moins-3-ans", "Enfants de moins de 3 ans", "enfants", "petite-enfance"),
    (
        "taux-couverture",
        "Taux de couverture en accueil formel",
        "places pour 100 enfants de moins de 3 ans",
        "petite-enfance",
    ),
    ("allocataires-bas-revenus", "Allocataires à bas revenus", "allocataires", "acces-aux-droits"),
    (
        "part-dependants-prestations",
        "Part des allocataires dont les ressources dépendent à 100 % des prestations",
        "%",
        "accompagnement-social",
    ),
]


def load_reference_data(thematic_model, statistic_model) -> None:
    """Create or update the reference rows (models passed in: works in migrations)."""
    for order, (code, label) in enumerate(THEMATICS, start=1):
        thematic_model.objects.update_or_create(
            code=code, defaults={"label": label, "order": order * 10}
        )
    for code, label, unit, thematic_code in STATISTICS:
        thematic = (
            thematic_model.objects.filter(code=thematic_code).first() if thematic_code else None
        )
        statistic_model.objects.update_or_create(
            code=code, defaults={"label": label, "unit": unit, "thematic": thematic}
        )
