"""Build a national-size data set for the benchmark (see ``bench/scale.py``)."""

import time

from django.core.management.base import BaseCommand, CommandError

from bench import scale


class Command(BaseCommand):
    help = (
        "Crée un jeu de données à l'échelle nationale (Cafs « … (jeu d'échelle) ») : "
        "101 Cafs, 1 300 conventions, 26 000 fiches, 1,6 million de mesures pour N=1300."
    )

    def add_arguments(self, parser):
        scale.add_arguments(parser)
        parser.add_argument(
            "--reset", action="store_true", help="Supprime d'abord le jeu d'échelle existant."
        )

    def handle(self, *args, conventions, seed, largest_fiches, reset, **options):
        if conventions < 1:
            raise CommandError("--conventions doit être au moins 1.")
        if reset:
            started = time.monotonic()
            removed = scale.reset()
            total = sum(removed.values())
            self.stdout.write(
                f"Jeu d'échelle supprimé : {total} lignes en {time.monotonic() - started:.1f} s."
            )
            for label, n in sorted(removed.items()):
                self.stdout.write(f"  {label:<40} {n:>10}")
        try:
            result = scale.generate(
                conventions=conventions, seed=seed, largest_fiches=largest_fiches
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if result.reused:
            self.stdout.write(
                f"Jeu d'échelle déjà présent : {result.counts['cafs']} Cafs, "
                f"{result.counts['conventions']} conventions — réutilisé "
                "(--reset pour le recréer)."
            )
            return
        self.stdout.write(f"Jeu d'échelle créé en {result.seconds:.1f} s :")
        for label, n in result.counts.items():
            self.stdout.write(f"  {label:<40} {n:>10}")
        for label, seconds in result.phases.items():
            self.stdout.write(f"  {label:<40} {seconds:>9.1f} s")
