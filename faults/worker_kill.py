"""A worker killed (SIGKILL) in the middle of a report build: no half-written
report is left, and the report is built when Redis redelivers the message.

The build task is acknowledged late (``acks_late``): the killed worker never
acknowledged it, and Redis hands it out again after the visibility timeout
(``CELERY_VISIBILITY_TIMEOUT``, 10 s here, one hour by default). Kombu's Redis
transport restores such messages when a worker starts and then every 100 s.

Run: ``python -m faults.worker_kill``.
"""

from __future__ import annotations

import datetime
import signal
import time

from faults import common
from faults.common import expect, say

VISIBILITY_TIMEOUT = 10


def main() -> None:
    redis = common.RedisServer()
    redis.start()
    say(f"Redis privé démarré : {redis.url}")
    media = common.configure(redis_url=redis.url, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    common.setup_django()
    say(f"Base {common.DATABASE_URL} prête ; fichiers des rapports dans {media}")

    from conventions.models import Convention
    from portal.demo import QRGA_NAME
    from reports import services as reporting
    from reports.models import ProgressReport

    convention = Convention.objects.get(name=QRGA_NAME)
    start = convention.start_date
    end = min(convention.end_date, start + datetime.timedelta(days=364))
    ProgressReport.objects.filter(
        convention=convention, period_start=start, period_end=end
    ).delete()  # a previous run's report

    def files() -> list[str]:
        folder = media / "reports"
        return sorted(str(p.relative_to(media)) for p in folder.rglob("*") if p.is_file())

    first = second = None
    try:
        first = common.start_worker("faults-kill-1")
        report, queued = reporting.report_request(
            convention=convention, period_start=start, period_end=end
        )
        say(f"Rapport {report.pk} demandé (du {start} au {end}), confié au broker : {queued}")

        def building():
            return ProgressReport.objects.filter(pk=report.pk, status="building").exists()

        seen = common.wait_until(building, timeout=60, step=0.02)
        expect(seen, "le worker a commencé la production (état « building »)")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        say(f"Worker faults-kill-1 tué par SIGKILL en pleine production (code {first.returncode})")
        report.refresh_from_db()
        say(
            f"Après le kill : état {report.status}, tentatives {report.attempts}, "
            f"PDF « {report.pdf.name} », XLSX « {report.xlsx.name} », fichiers {files()}"
        )
        expect(report.status == "building", "le rapport n'est pas marqué prêt")
        expect(
            not report.pdf and not report.xlsx and not report.snapshot and files() == [],
            "aucun fichier ni donnée figée à moitié écrits",
        )

        # A worker restores the unacknowledged messages older than the visibility
        # timeout when it starts, then every 100 s: the replacement starts after it.
        killed_at = time.monotonic()
        time.sleep(VISIBILITY_TIMEOUT + 1)
        say(f"{time.monotonic() - killed_at:.0f} s plus tard (délai de visibilité dépassé) :")
        second = common.start_worker("faults-kill-2")
        started = time.monotonic()

        def done():
            report.refresh_from_db()
            return report.status in ("ready", "failed")

        common.wait_until(done, timeout=VISIBILITY_TIMEOUT + 90, step=0.5)
        say(
            f"Après {time.monotonic() - started:.1f} s : état {report.status}, tentatives "
            f"{report.attempts}, fichiers {files()}"
        )
        expect(report.status == "ready", "le message est redélivré et le rapport produit")
        expect(report.attempts == 2, "deux tentatives : celle tuée et celle qui a abouti")
        if report.status == "ready":
            import openpyxl
            from pypdf import PdfReader

            with report.pdf.open("rb") as handle:
                pages = len(PdfReader(handle).pages)
            with report.xlsx.open("rb") as handle:
                sheets = openpyxl.load_workbook(handle, read_only=True).sheetnames
            say(f"PDF lisible : {pages} page(s) ; XLSX lisible : onglets {sheets}")
            expect(pages > 0 and len(sheets) > 0, "le PDF et le classeur sont complets")
            expect(
                files() == sorted([report.pdf.name, report.xlsx.name]),
                "exactement un PDF et un XLSX sur le disque, ceux du rapport",
            )
    finally:
        for worker in (first, second):
            common.stop_worker(worker)
        redis.stop()
    common.finish("Worker tué pendant la production")


if __name__ == "__main__":
    main()
