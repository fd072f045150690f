"""Reference list of thematics (DOMAIN.md), and the usual territory statistics."""

from django.db import migrations

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


def load(apps, schema_editor):
    Thematic = apps.get_model("diagnostics", "Thematic")
    StatisticDefinition = apps.get_model("diagnostics", "StatisticDefinition")
    for order, (code, label) in enumerate(THEMATICS, start=1):
        Thematic.objects.update_or_create(code=code, defaults={"label": label, "order": order * 10})
    for code, label, unit, thematic_code in STATISTICS:
        thematic = Thematic.objects.filter(code=thematic_code).first() if thematic_code else None
        StatisticDefinition.objects.update_or_create(
            code=code, defaults={"label": label, "unit": unit, "thematic": thematic}
        )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
