"""The benchmark: every measured page, in process, with the test client and the
bench users of each role, against the scale data set (``bench/scale.py``).

For each measure: SQL queries (one run captured with ``CaptureQueriesContext``),
p50 and p95 over ``repeat`` timed runs (after one warm-up run), and the ratio of
p50 to the baseline's p50 measured in the same run. The pages are timed in rounds
(each page once per round), so that the ratios do not depend on when the machine
was busy. The dashboard is measured warm (its figures from the cache, ``ctg.fragments``)
and cold (the first view after a write), and compared with the raw SQL aggregate that
computes its figures.
"""

from __future__ import annotations

import datetime
import json
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import Caf, Convention, User
from conventions.services.data_version import convention_data_changed
from evaluation import readmodel

from . import scale, scale_data

RESULTS_PATH = Path(settings.BASE_DIR) / "bench" / "results.json"
TOKEN_RE = re.compile(r'name="token"\s+value="([^"]+)"')


@dataclass
class Measure:
    key: str
    label: str
    role: str
    queries: int = 0
    times_ms: list[float] = field(default_factory=list)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    ratio_baseline: float | None = None
    extra: dict = field(default_factory=dict)

    def finish(self) -> None:
        ordered = sorted(self.times_ms)
        self.p50_ms = statistics.median(ordered)
        # Nearest-rank p95 (with 10 runs: the slowest but one… or the slowest).
        rank = max(1, round(0.95 * len(ordered)))
        self.p95_ms = ordered[rank - 1]


class BenchError(Exception):
    pass


def _check(response, expected=(200,)) -> None:
    if response.status_code not in expected:
        raise BenchError(f"HTTP {response.status_code} pour {response.request['PATH_INFO']}")


@dataclass
class Subjects:
    caf: Caf
    convention: Convention
    users: dict[str, User]
    indicator_id: int


def find_subjects() -> Subjects:
    cafs = scale.scale_cafs()
    caf = cafs.annotate(n=Count("conventions")).order_by("-n", "pk").first()
    if caf is None:
        raise BenchError("Pas de jeu d'échelle : lancez generate_scale_data.")
    users = {
        key: User.objects.filter(email=email).first()
        for key, email in scale_data.BENCH_EMAILS.items()
    }
    if not all(users.values()):
        raise BenchError(
            "Utilisateurs du banc d'essai absents : recréez le jeu d'échelle (--reset)."
        )
    # The largest convention, as generated: the one whose COPIL the bench member sits on.
    convention = Convention.objects.filter(
        caf__in=cafs, committees__members__user=users["member"]
    ).first()
    from evaluation.models import Indicator

    # The indicator with the most measurements of the largest convention.
    indicator_id = (
        Indicator.objects.filter(action_sheet__convention=convention)
        .annotate(n=Count("measurements"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return Subjects(caf=caf, convention=convention, users=users, indicator_id=indicator_id)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def a_write(convention_id: int) -> Callable[[], None]:
    """What every write on a convention's figures does besides its own rows, as the
    services do it (``evaluation.services.record_measurement`` …), in one transaction: the
    data version bumped (the cached figures are drawn again on the next view, see
    ``ctg.fragments``) and the progress read model computed again. Run before each timed
    view of a « first view after a write » and not timed: its cost is the write's, not the
    page's."""

    def write():
        with transaction.atomic():
            convention_data_changed(convention_id=convention_id)
            readmodel.progress_refresh(convention_id=convention_id)

    return write


def dashboard_raw_sql(convention_id: int) -> Callable[[], list]:
    """The figures of the Synthèse tab straight from SQL: fiches by status, the
    indicators' progress aggregate (last measurement of each), funding sums."""
    q = connection.ops.quote_name
    sheets, indicators, measures, funding = (
        q("actions_actionsheet"),
        q("evaluation_indicator"),
        q("evaluation_measurement"),
        q("actions_fundingline"),
    )
    objectives = q("actions_objective")
    statements = [
        f"SELECT status, COUNT(*) FROM {sheets} WHERE convention_id = %s GROUP BY status",
        f"""
        SELECT COUNT(*), AVG(CASE WHEN i.target_value = i.baseline_value THEN NULL
                             ELSE (m.value - i.baseline_value) * 100.0
                                  / (i.target_value - i.baseline_value) END),
               COUNT(m.value)
        FROM (
            SELECT i1.* FROM {indicators} i1
            JOIN {sheets} s ON s.id = i1.action_sheet_id WHERE s.convention_id = %s
            UNION ALL
            SELECT i2.* FROM {indicators} i2
            JOIN {objectives} o ON o.id = i2.objective_id WHERE o.convention_id = %s
        ) i
        LEFT JOIN {measures} m ON m.id = (
            SELECT m2.id FROM {measures} m2 WHERE m2.indicator_id = i.id
            ORDER BY m2.date DESC, m2.id DESC LIMIT 1)
        """,
        f"""
        SELECT f.funder, SUM(f.planned_amount), SUM(f.spent_amount)
        FROM {funding} f JOIN {sheets} s ON s.id = f.sheet_id
        WHERE s.convention_id = %s GROUP BY f.funder
        """,
    ]
    params = [[convention_id], [convention_id, convention_id], [convention_id]]

    def run() -> list:
        out = []
        with connection.cursor() as cursor:
            for sql, args in zip(statements, params, strict=True):
                cursor.execute(sql, args)
                out.append(cursor.fetchall())
        return out

    return run


def _workbook_variants(content: bytes) -> tuple[bytes, bytes]:
    """(the workbook as exported, the same with its last measured value + 1)."""
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from evaluation.imports import FIRST_PERIOD_COLUMN

    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    target = None
    for row in ws.iter_rows(min_row=2, min_col=FIRST_PERIOD_COLUMN):
        for cell in row:
            if isinstance(cell.value, int | float | Decimal):
                target = cell
        if target is not None:
            break
    if target is None:
        raise BenchError("Le classeur exporté ne contient aucune mesure.")
    target.value = float(target.value) + 1
    out = io.BytesIO()
    wb.save(out)
    return content, out.getvalue()


class Bench:
    def __init__(self, *, repeat: int, report_repeat: int, log=print):
        self.repeat = repeat
        self.report_repeat = report_repeat
        self.log = log
        self.measures: list[Measure] = []

    def measure(self, key, label, role, fn: Callable[[], object], *, repeat=None) -> Measure:
        m = Measure(key=key, label=label, role=role)
        with CaptureQueriesContext(connection) as ctx:
            fn()  # warm-up, counted
        m.queries = len(ctx.captured_queries)
        for _ in range(repeat or self.repeat):
            started = time.perf_counter()
            fn()
            m.times_ms.append((time.perf_counter() - started) * 1000)
        m.finish()
        self.measures.append(m)
        self.log(f"  {label:<48} {m.queries:>4} requêtes  p50 {m.p50_ms:8.1f} ms")
        return m

    def measure_rounds(self, specs: list[tuple], *, reference=None) -> list[Measure]:
        """Time the pages in rounds, each page once per round (after a warm-up run each,
        then a run whose queries are counted: a page as it is served once warm, its cached
        fragments included): a slower moment of the machine then weighs on every page
        alike instead of on one, so the ratios to the baseline compare like with like.
        A spec is ``(key, label, role, fn)`` or ``(key, label, role, fn, prepare)``:
        ``prepare()`` runs, untimed and uncounted, before each run of ``fn`` (a write
        before the first view after a write). ``reference``: a page timed in each round
        too (the baseline), the p50 each measure's ratio is taken to."""
        measures = []
        reference_ms: list[float] = []
        for key, label, role, fn, *rest in specs:
            prepare = rest[0] if rest else None
            m = Measure(key=key, label=label, role=role)
            for _run in ("warm-up", "counted"):
                if prepare:
                    prepare()
                with CaptureQueriesContext(connection) as ctx:
                    fn()
            m.queries = len(ctx.captured_queries)
            measures.append((m, fn, prepare))
        for _ in range(self.repeat):
            if reference:
                started = time.perf_counter()
                reference()
                reference_ms.append((time.perf_counter() - started) * 1000)
            for m, fn, prepare in measures:
                if prepare:
                    prepare()
                started = time.perf_counter()
                fn()
                m.times_ms.append((time.perf_counter() - started) * 1000)
        for m, _fn, _prepare in measures:
            m.finish()
            if reference_ms:
                m.extra["reference_p50_ms"] = statistics.median(reference_ms)
            self.measures.append(m)
            self.log(f"  {m.label:<48} {m.queries:>4} requêtes  p50 {m.p50_ms:8.1f} ms")
        return [m for m, _fn, _prepare in measures]

    def run(self, subjects: Subjects) -> dict:
        conv = subjects.convention
        clients = {key: _client(user) for key, user in subjects.users.items()}

        def get(client_key, url, **params):
            def fn():
                response = clients[client_key].get(url, params, secure=True)
                _check(response)
                if getattr(response, "streaming", False):
                    b"".join(response.streaming_content)
                return response

            return fn

        baseline_page = get("caf_staff", reverse("conventions:list"), q="zzz-aucune-convention")
        self.measure_rounds(
            [
                ("baseline", "Référence : liste filtrée à vide", "caf_staff", baseline_page),
                (
                    "dashboard",
                    "Synthèse de la plus grande convention",
                    "elected",
                    get("elected", reverse("portal:detail", args=[conv.pk])),
                ),
                (
                    "dashboard_raw_sql",
                    "  SQL brut des chiffres de la synthèse",
                    "—",
                    dashboard_raw_sql(conv.pk),
                ),
                (
                    "portfolio",
                    "Portefeuille de la plus grande Caf",
                    "caf_staff",
                    get("caf_staff", reverse("evaluation:portfolio")),
                ),
                (
                    "fiche_list",
                    "Liste des fiches (plan d'actions)",
                    "coordinator",
                    get("coordinator", reverse("actions:plan", args=[conv.pk])),
                ),
                (
                    "indicator",
                    "Indicateur et son graphique",
                    "member",
                    get(
                        "member",
                        reverse("evaluation:indicator", args=[conv.pk, subjects.indicator_id]),
                    ),
                ),
                (
                    "fiche_export",
                    "Export XLSX des fiches",
                    "coordinator",
                    get("coordinator", reverse("actions:export", args=[conv.pk])),
                ),
            ]
        )
        # The first view after a write, in rounds of its own (a write there would make every
        # page of the convention measured after it in a round a first view too), each round
        # with the baseline again: its ratio is to the baseline of its own rounds.
        (cold,) = self.measure_rounds(
            [
                (
                    "dashboard_cold",
                    "  Synthèse, première vue après une écriture",
                    "elected",
                    get("elected", reverse("portal:detail", args=[conv.pk])),
                    a_write(conv.pk),
                )
            ],
            reference=baseline_page,
        )
        self.measures.remove(cold)
        self.measures.insert(
            self.measures.index(next(m for m in self.measures if m.key == "dashboard")) + 1, cold
        )
        by_key = {m.key: m for m in self.measures}
        baseline, dashboard = by_key["baseline"], by_key["dashboard"]
        raw_p50 = by_key["dashboard_raw_sql"].p50_ms
        dashboard.extra["raw_sql_p50_ms"] = raw_p50
        dashboard.extra["ratio_raw_sql"] = dashboard.p50_ms / raw_p50
        self.measure_import(clients["coordinator"], conv)
        self.measure_report(conv)

        for m in self.measures:
            reference = m.extra.get("reference_p50_ms", baseline.p50_ms)
            m.ratio_baseline = m.p50_ms / reference if reference else None
        return self.results(subjects)

    def measure_import(self, client: Client, conv: Convention) -> None:
        """Download the measurement workbook, then upload it back: preview and confirm.

        The unchanged workbook gives a preview with nothing to import (no confirm
        button), so two variants alternate: the workbook as exported and the same
        with its last measured value plus one. Each upload then differs from the
        database by one value, the rest of the workbook being unchanged.
        """
        download = client.get(reverse("evaluation:workbook", args=[conv.pk]), secure=True)
        _check(download)
        variants = _workbook_variants(download.content)
        upload_url = reverse("evaluation:workbook_upload", args=[conv.pk])
        confirm_url = reverse("evaluation:workbook_confirm", args=[conv.pk])
        from django.core.files.uploadedfile import SimpleUploadedFile

        turn = [0]

        def round_trip():
            turn[0] += 1
            upload = SimpleUploadedFile(
                "mesures.xlsx",
                variants[turn[0] % 2],
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            preview = client.post(upload_url, {"file": upload}, secure=True)
            _check(preview)
            match = TOKEN_RE.search(preview.content.decode())
            if not match:
                raise BenchError("L'aperçu de l'import n'a pas de jeton (classeur refusé ?).")
            done = client.post(confirm_url, {"token": match.group(1)}, secure=True)
            _check(done, expected=(302,))

        try:
            m = self.measure(
                "measurement_import",
                "Import XLSX des mesures (aperçu + confirmation)",
                "coordinator",
                round_trip,
            )
        finally:
            if turn[0] % 2 == 1:  # leave the database as it was exported
                round_trip()
        m.extra["workbook_bytes"] = len(variants[0])

    def measure_report(self, conv: Convention) -> None:
        from reports.models import ProgressReport
        from reports.services import report_build

        today = timezone.localdate()
        made: list[ProgressReport] = []
        offset = [0]

        def build():
            # A new period each time (one report per period), built synchronously.
            # A yearly report (the usual reporting frequency) ending in the recent past.
            offset[0] += 1
            period_end = today - datetime.timedelta(days=offset[0])
            report = ProgressReport.objects.create(
                convention=conv,
                period_start=max(conv.start_date, period_end - datetime.timedelta(days=364)),
                period_end=period_end,
            )
            made.append(report)
            report_build(report_id=report.pk)

        try:
            m = self.measure(
                "report_build",
                "Rapport d'avancement (PDF + XLSX)",
                "tâche",
                build,
                repeat=self.report_repeat,
            )
        finally:
            from evaluation.models import PeriodLock

            for report in ProgressReport.objects.filter(pk__in=[r.pk for r in made]):
                report.pdf.delete(save=False)
                report.xlsx.delete(save=False)
                report.delete()
            # A built report locks its period (evaluation.locks): the bench's reports leave
            # no lock behind, or the next run's import would be refused.
            convention_data_changed(convention_id=conv.pk)
            PeriodLock.objects.filter(
                convention=conv, reference__in=[f"rapport:{r.pk}" for r in made]
            ).delete()
        m.extra["reports_built"] = len(made)

    def results(self, subjects: Subjects) -> dict:
        import os

        from actions.models import ActionSheet
        from diagnostics.models import TerritoryStatistic
        from evaluation.models import (
            Indicator,
            IndicatorTarget,
            Measurement,
            MeasurementPart,
            SharedIndicator,
        )

        cafs = scale.scale_cafs()
        return {
            "date": timezone.localtime().isoformat(timespec="seconds"),
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "data": {
                "cafs": cafs.count(),
                "conventions": Convention.objects.filter(caf__in=cafs).count(),
                "fiches": ActionSheet.objects.filter(convention__caf__in=cafs).count(),
                "indicators": Indicator.objects.count(),
                "measurements": Measurement.objects.count(),
                "territory_statistics": TerritoryStatistic.objects.count(),
                # Issue #16: shared (SDSF) indicators and the indicators linked to them,
                # broken-down indicators and their values per commune, yearly targets,
                # values from open data.
                "shared_indicators": SharedIndicator.objects.count(),
                "linked_indicators": Indicator.objects.filter(shared__isnull=False).count(),
                "broken_down_indicators": Indicator.objects.filter(breakdown="commune").count(),
                "measurement_parts": MeasurementPart.objects.count(),
                "yearly_targets": IndicatorTarget.objects.count(),
                "open_data_measurements": Measurement.objects.filter(
                    source_kind=Measurement.SourceKind.OPEN_DATA
                ).count(),
                "largest_caf": subjects.caf.name,
                "largest_caf_conventions": subjects.caf.conventions.count(),
                "largest_convention": subjects.convention.name,
                "largest_convention_fiches": subjects.convention.action_sheets.count(),
            },
            "storage": storage(),
            "repeat": self.repeat,
            "measures": [asdict(m) for m in self.measures],
        }


def storage(top: int = 8) -> dict:
    """The data set on disk: the database's size and its biggest tables (with their
    indexes) and indexes on PostgreSQL; the file's size on SQLite."""
    if connection.vendor != "postgresql":
        name = str(settings.DATABASES["default"]["NAME"])
        path = Path(name)
        return {"database_bytes": path.stat().st_size if path.exists() else None}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database_bytes = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_table_size(c.oid), "
            "pg_indexes_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public' "
            "ORDER BY 2 DESC, 1 LIMIT %s",
            [top],
        )
        tables = [
            {"name": n, "total_bytes": t, "table_bytes": d, "indexes_bytes": i}
            for n, t, d, i in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT i.relname, t.relname, pg_relation_size(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' "
            "ORDER BY 3 DESC, 1 LIMIT %s",
            [top],
        )
        indexes = [{"name": n, "table": t, "bytes": b} for n, t, b in cursor.fetchall()]
    return {"database_bytes": database_bytes, "tables": tables, "indexes": indexes}


def table(results: dict) -> str:
    lines = [
        f"{'Mesure':<50} {'Rôle':<12} {'Requêtes':>8} {'p50 ms':>9} {'p95 ms':>9} {'× réf.':>7}",
        "-" * 100,
    ]
    for m in results["measures"]:
        ratio = f"{m['ratio_baseline']:.1f}" if m["ratio_baseline"] is not None else "—"
        lines.append(
            f"{m['label']:<50} {m['role']:<12} {m['queries']:>8} {m['p50_ms']:>9.1f} "
            f"{m['p95_ms']:>9.1f} {ratio:>7}"
        )
        if "ratio_raw_sql" in m["extra"]:
            lines.append(
                f"{'  (synthèse / SQL brut de ses chiffres)':<50} {'':<12} {'':>8} "
                f"{'':>9} {'':>9} {m['extra']['ratio_raw_sql']:>7.1f}"
            )
    return "\n".join(lines)


def write_results(results: dict, path: Path = RESULTS_PATH) -> Path:
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return path
