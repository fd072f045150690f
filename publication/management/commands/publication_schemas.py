from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from publication.opendata import TABLES, schema_json

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


class Command(BaseCommand):
    help = (
        "Écrit les schémas de table (Frictionless Table Schema) des données ouvertes dans "
        "publication/schemas/, à partir de leur définition (publication/opendata.py) ; avec "
        "--check, vérifie seulement qu'ils sont à jour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Vérifier sans écrire.")

    def handle(self, *args, check=False, **options):
        stale = []
        for name, table in TABLES.items():
            path = SCHEMAS / f"{name}.json"
            text = schema_json(table)
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(path.name)
            if not check:
                path.write_text(text, encoding="utf-8")
                self.stdout.write(f"Écrit : {path}")
        if check and stale:
            raise CommandError(
                "Schémas à régénérer (python manage.py publication_schemas) : " + ", ".join(stale)
            )
        if not stale:
            self.stdout.write("Les schémas sont à jour.")
