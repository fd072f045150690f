"""``make bench``: build (or reuse) the scale data, measure the pages, write
``bench/results.json`` (see ``bench/runner.py``). With ``--scale 1,10``: one run per data
size, each in its own database, and the ratios between sizes (``bench/scales.py``)."""

import datetime
import os
import resource
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bench import runner, scale, scales


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
        parser.add_argument(
            "--scale",
            default=None,
            help="Plusieurs tailles, par exemple 1,10 : --conventions × chaque échelle, chacune "
            "dans sa base (DATABASE_URL suffixée de _x10…), et le rapport des p50 entre elles.",
        )
        parser.add_argument(
            "--scale-database",
            action="append",
            metavar="ÉCHELLE=URL",
            help="La base d'une échelle, au lieu du nom dérivé de DATABASE_URL (répétable).",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Avec --scale : supprime et recrée d'abord chaque base du banc d'essai "
            "(« bench » dans son nom), pour mesurer aussi la génération.",
        )

    def handle(self, *args, scale: str | None, **options):
        if options["repeat"] < 1:
            raise CommandError("--repeat doit être au moins 1.")
        if scale is not None:
            return self.handle_scales(scale, **options)
        if options["fresh"] or options["scale_database"]:
            raise CommandError("--fresh et --scale-database vont avec --scale.")
        return self.handle_one(**options)

    def handle_scales(
        self, text, *, conventions, seed, largest_fiches, repeat, report_repeat, skip_generate,
        output, scale_database, fresh, **kw,
    ):  # fmt: skip
        base_url = os.environ.get("DATABASE_URL")
        if not base_url:
            raise CommandError("--scale demande DATABASE_URL (la base de l'échelle ×1).")
        if fresh and skip_generate:
            raise CommandError("--fresh et --skip-generate s'excluent.")
        try:
            wanted = scales.parse_scales(text)
            overrides = scales.parse_database_overrides(scale_database)
        except scales.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        common = ["--seed", str(seed), "--largest-fiches", str(largest_fiches)]
        common += ["--repeat", str(repeat)]
        if report_repeat:
            common += ["--report-repeat", str(report_repeat)]
        if skip_generate:
            common.append("--skip-generate")
        try:
            results = scales.run_all(
                scales=wanted,
                base_url=base_url,
                overrides=overrides,
                conventions=conventions,
                common_args=common,
                output=Path(output),
                manage_py=Path(settings.BASE_DIR) / "manage.py",
                fresh=fresh,
                log=self.log_now,
            )
        except scales.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(scales.table(results))
        self.stdout.write(f"\nRésultats de toutes les échelles écrits dans {output}.")

    def log_now(self, line: str) -> None:
        """A line written at once (the children's progress, even into a file)."""
        self.stdout.write(line)
        self.stdout.flush()

    def handle_one(
        self, *, conventions, seed, largest_fiches, repeat, report_repeat, skip_generate,
        output, **kw,
    ):  # fmt: skip
        if settings.DEBUG:
            self.stderr.write(
                "Attention : DEBUG est activé, les temps ne sont pas ceux de la production "
                "(lancez plutôt `make bench`)."
            )
        db = settings.DATABASES["default"]
        self.stdout.write(f"Base : {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
        result = None
        if not skip_generate:
            result = scale.generate(
                conventions=conventions, seed=seed, largest_fiches=largest_fiches
            )
            # Peak memory of this process so far (Linux: kilobytes): the generation's.
            generation_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
        if result is not None and not result.reused:
            results["generation"] = {
                "date": datetime.date.today().isoformat(),
                "rows": sum(result.counts.values()),
                "seconds": round(result.seconds, 3),
                "phases": {k: round(v, 1) for k, v in result.phases.items()},
                "max_rss_mb": round(generation_rss_mb),
            }
        self.stdout.write("")
        self.stdout.write(runner.table(results))
        path = runner.write_results(results, Path(output))
        self.stdout.write(f"\nRésultats écrits dans {path}.")
