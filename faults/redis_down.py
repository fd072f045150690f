"""Redis down: the pages keep working, a report request is kept as pending and the
user is told; Redis back: the dispatcher (run by a real worker) has it built.

Run: ``python -m faults.redis_down`` (``make faults`` runs every fault script).
"""

from __future__ import annotations

import datetime
import json
import time

from faults import common
from faults.common import expect, say

PENDING_MESSAGE = "Le service de génération est momentanément indisponible"


def healthz(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def main() -> None:
    redis = common.RedisServer()
    redis.start()
    say(f"Redis privé démarré : {redis.url}")
    common.configure(redis_url=redis.url)
    common.setup_django()
    say(f"Base {common.DATABASE_URL} migrée, données de démonstration en place")

    from django.test import Client

    from conventions.models import Convention, User
    from portal.demo import QRGA_NAME
    from reports.models import ProgressReport
    from reports.tasks import dispatch_pending_reports

    convention = Convention.objects.get(name=QRGA_NAME)
    start = convention.start_date
    end = start + datetime.timedelta(days=89)
    ProgressReport.objects.filter(
        convention=convention, period_start=start, period_end=end
    ).delete()  # a previous run's report
    client = Client()
    client.force_login(User.objects.get(email=common.DEMO_EDITOR))
    reports_url = f"/conventions/{convention.pk}/rapports/"
    worker = None
    try:
        code, body = healthz(client)
        say(f"/healthz avec Redis en marche : HTTP {code} {body}")
        expect(code == 200 and body["redis"] == "ok", "Redis répond, /healthz le dit")

        redis.stop()
        say(f"Redis arrêté (port {redis.port} fermé)")
        started = time.monotonic()
        code, body = healthz(client)
        say(
            f"/healthz avec Redis arrêté : HTTP {code} {body} en {time.monotonic() - started:.2f} s"
        )
        expect(
            code == 200 and body["redis"] == "error" and body["status"] == "degraded",
            "/healthz : Redis en erreur, état dégradé, HTTP 200 (les pages restent servies)",
        )
        for url in ("/conventions/", f"/conventions/{convention.pk}/", reports_url):
            response = client.get(url)
            expect(response.status_code == 200, f"GET {url} → HTTP {response.status_code}")

        started = time.monotonic()
        response = client.post(
            f"{reports_url}demander/",
            {"period_start": start.isoformat(), "period_end": end.isoformat()},
            follow=True,
        )
        elapsed = time.monotonic() - started
        page = response.content.decode()
        say(
            f"Demande de rapport du {start} au {end} : HTTP {response.status_code} en {elapsed:.2f} s"
        )
        expect(PENDING_MESSAGE in page, "la page dit : « " + PENDING_MESSAGE + " … »")
        report = ProgressReport.objects.get(
            convention=convention, period_start=start, period_end=end
        )
        queued = f"mis en file le {report.enqueued_at}" if report.enqueued_at else "pas mis en file"
        say(f"Rapport {report.pk} : état {report.status}, {queued}")
        expect(
            report.status == "pending" and report.enqueued_at is None,
            "le rapport est enregistré « en attente », pas encore confié au broker",
        )

        redis.start()
        say(f"Redis redémarré sur le même port ({redis.port})")
        worker = common.start_worker("faults-redis")
        dispatch_pending_reports.apply_async(ignore_result=True)
        say("dispatch_pending_reports envoyé au broker (comme le ferait beat toutes les 5 minutes)")
        started = time.monotonic()

        def ready():
            report.refresh_from_db()
            return report.status in ("ready", "failed")

        common.wait_until(ready, timeout=120, step=0.5)
        say(
            f"Rapport {report.pk} : état {report.status} après {time.monotonic() - started:.1f} s, "
            f"PDF {report.pdf.name or '—'}"
        )
        expect(
            report.status == "ready" and bool(report.pdf), "le rapport est produit par le worker"
        )
        code, body = healthz(client)
        say(f"/healthz après rétablissement : HTTP {code} {body}")
        expect(
            code == 200 and body["status"] == "ok" and body["beat"]["last_run"],
            "/healthz : tout est ok, le passage du répartiteur est enregistré",
        )
    finally:
        common.stop_worker(worker)
        redis.stop()
    common.finish("Redis arrêté puis rétabli")


if __name__ == "__main__":
    main()
