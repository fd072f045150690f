"""Report throughput with 1 and 2 real Celery worker processes (reports per minute).

Usage (the bench database and a Redis; the scale data must exist)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctg_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 \\
    .venv/bin/python bench/report_throughput.py --reports 12 --workers 1 2

For each worker count it starts that many ``celery -A ctg worker`` processes
(one process each, as on separate machines sharing Redis and PostgreSQL), waits
until they answer a ping, queues ``--reports`` builds of progress reports of
different conventions of the largest Caf on a dedicated queue, and times them
until every report is ready. Then it stops its workers and deletes the reports.
Use a Redis database of its own (``/9`` above): the workers also take the
delivery tasks that follow each build (e-mails go to the dummy backend).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=12)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--output", default=str(ROOT / "bench" / "throughput.json"))
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        parser.error("REDIS_URL est requis (le courtier des workers Celery).")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"

    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        parser.error("Le débit se mesure sur PostgreSQL (DATABASE_URL), pas sur SQLite.")

    results = []
    for workers in args.workers:
        results.append(run(workers=workers, reports=args.reports, timeout=args.timeout))
        r = results[-1]
        print(
            f"{workers} worker(s) : {r['reports']} rapports en {r['seconds']:.1f} s "
            f"→ {r['per_minute']:.1f} rapports/minute"
        )
    Path(args.output).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"Résultats écrits dans {args.output}.")
    return 0


def _conventions(n: int):
    from django.db.models import Count

    from bench.scale import scale_cafs
    from conventions.models import Convention

    caf = scale_cafs().annotate(n=Count("conventions")).order_by("-n", "pk").first()
    if caf is None:
        raise SystemExit("Pas de jeu d'échelle : lancez d'abord generate_scale_data.")
    return list(
        Convention.objects.filter(caf=caf, phase=Convention.Phase.IMPLEMENTATION)
        .annotate(n=Count("action_sheets"))
        .order_by("-n", "pk")[:n]
    )


def run(*, workers: int, reports: int, timeout: float) -> dict:
    from ctg.celery import app
    from reports.models import ProgressReport
    from reports.tasks import build_report

    queue = f"bench-throughput-{uuid.uuid4().hex[:8]}"
    app.control.purge()  # leftovers of an interrupted run
    conventions = _conventions(reports)
    today = datetime.date.today()
    made = []
    for i in range(reports):
        convention = conventions[i % len(conventions)]
        # Yearly reports ending in the recent past, a distinct period for each.
        period_end = today - datetime.timedelta(days=30 + i)
        made.append(
            ProgressReport.objects.create(
                convention=convention,
                period_start=max(convention.start_date, period_end - datetime.timedelta(days=364)),
                period_end=period_end,
            ).pk
        )
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0"}
    processes = []
    names = []
    try:
        for w in range(workers):
            name = f"bench{w}-{queue}@%h"
            names.append(name)
            processes.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "celery"),
                        "-A", "ctg", "worker", "-c", "1", "-P", "prefork", "-n", name,
                        "-Q", f"{queue},celery", "--loglevel", "WARNING",
                        "--without-gossip", "--without-mingle",
                    ],
                    cwd=ROOT,
                    env=env,
                    start_new_session=True,
                )
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answered = app.control.ping(timeout=1.0) or []
            mine = [a for a in answered for k in a if queue in k]
            if len(mine) >= workers:
                break
        else:
            raise SystemExit("Les workers Celery n'ont pas répondu en 60 s.")
        started = time.monotonic()
        for pk in made:
            build_report.apply_async(args=[pk], queue=queue)
        deadline = started + timeout
        while time.monotonic() < deadline:
            ready = ProgressReport.objects.filter(
                pk__in=made, status=ProgressReport.Status.READY
            ).count()
            failed = ProgressReport.objects.filter(
                pk__in=made, status=ProgressReport.Status.FAILED
            ).count()
            if failed:
                raise SystemExit(f"{failed} rapport(s) en échec.")
            if ready == len(made):
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"Délai dépassé ({timeout} s).")
        seconds = time.monotonic() - started
    finally:
        app.control.purge()  # the deliveries not taken yet: their reports go away
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # warm shutdown: finish the task
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for report in ProgressReport.objects.filter(pk__in=made):
            report.pdf.delete(save=False)
            report.xlsx.delete(save=False)
            report.delete()
    return {
        "workers": workers,
        "reports": reports,
        "seconds": round(seconds, 2),
        "per_minute": round(reports / seconds * 60, 1),
        "conventions": len(conventions),
    }


if __name__ == "__main__":
    raise SystemExit(main())
