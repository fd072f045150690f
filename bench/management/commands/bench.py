"""``make bench``: build (or reuse) the scale data, measure the pages, write
``bench/results.json`` (see ``bench/runner.py``)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench import runner, scale


class Command(BaseCommand):
    help = "Mesure les pages principales sur le jeu d'échelle et écrit bench/results.json."

    def add_arguments(self, parser):
        scale.add_arguments(parser)
        parser.add_argument("--repeat", type=int, default=10)
        parser.add_argument(
            "--report-repeat",
            type=int,
            default=None,
            help="Nombre de rapports construits (par défaut : min(repeat, 3)).",
        )
        parser.add_argument(
            "--skip-generate",
            action="store_true",
            help="Ne crée pas le jeu d'échelle (il doit exister).",
        )
        parser.add_argument("--output", default=str(runner.RESULTS_PATH))

    def handle(
        self, *args, conventions, seed, largest_fiches, repeat, report_repeat, skip_generate,
        output, **kw,
    ):  # fmt: skip
        if repeat < 1:
            raise CommandError("--repeat doit être au moins 1.")
        if settings.DEBUG:
            self.stderr.write(
                "Attention : DEBUG est activé, les temps ne sont pas ceux de la production "
                "(lancez plutôt `make bench`)."
            )
        db = settings.DATABASES["default"]
        self.stdout.write(f"Base : {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        if not skip_generate:
            result = scale.generate(
                conventions=conventions, seed=seed, largest_fiches=largest_fiches
            )
            if result.reused:
                self.stdout.write(
                    f"Jeu d'échelle réutilisé : {result.counts['conventions']} conventions."
                )
            else:
                total = sum(result.counts.values())
                self.stdout.write(
                    f"Jeu d'échelle créé : {total} lignes en {result.seconds:.1f} s "
                    f"({result.counts.get('evaluation.Measurement', 0)} mesures)."
                )
        try:
            subjects = runner.find_subjects()
            self.stdout.write(
                f"Plus grande Caf : {subjects.caf.name} ; plus grande convention : "
                f"{subjects.convention.name}. {repeat} passages par mesure."
            )
            bench = runner.Bench(
                repeat=repeat,
                report_repeat=report_repeat or min(repeat, 3),
                log=self.stdout.write,
            )
            results = bench.run(subjects)
        except runner.BenchError as exc:
            raise CommandError(str(exc)) from exc
        if not skip_generate and not result.reused:
            results["generation_seconds"] = round(result.seconds, 1)
        self.stdout.write("")
        self.stdout.write(runner.table(results))
        from pathlib import Path

        path = runner.write_results(results, Path(output))
        self.stdout.write(f"\nRésultats écrits dans {path}.")
