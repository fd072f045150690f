"""PostgreSQL restarted while the application is in use: it costs at most the
requests that needed the database during the outage, and every request after it
succeeds (persistent connections checked at each request: CONN_HEALTH_CHECKS).

The application runs under gunicorn (2 sync workers, CONN_MAX_AGE=60) with the
production settings (DEBUG off, plain HTTP on 127.0.0.1) against the database
``ctg_faults``; client threads request ``/healthz`` and a page behind the login
in a loop.

1. The app's idle persistent connections are killed by the server
   (``pg_terminate_backend``, this database only), as a restart does between
   two requests: no request may fail.
2. ``pg_ctlcluster --skip-systemctl-redirect <version> main restart`` under
   load: failures only while PostgreSQL is down, each a 503 « Service
   momentanément indisponible » page (ctg.errors), none after. PostgreSQL is
   started again whatever happens. ``--no-restart`` skips this step.

Run: ``python -m faults.pg_restart``.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from faults import common
from faults.common import expect, say

APP_NAME = "ctg_faults_web"
WORKERS = 2
CLIENTS = 4


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def admin_query(sql: str, params=()) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(common.DATABASE_URL.split("?")[0], connect_timeout=3)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def app_backends() -> set[int]:
    rows = admin_query("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
    return {pid for (pid,) in rows}


def postgres_answers() -> bool:
    try:
        admin_query("SELECT 1")
        return True
    except Exception:  # noqa: BLE001
        return False


class Load:
    """Client threads requesting the app in a loop; each result is timestamped."""

    def __init__(self, base: str, session: str) -> None:
        self.base, self.session = base, session
        self.results: list[tuple[float, float, str, str]] = []  # start, end, path, outcome
        self.running = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def client(self) -> None:
        paths = ["/healthz", "/conventions/"]
        n = 0
        while not self.stop.is_set():
            if not self.running.wait(timeout=0.1):
                continue
            path = paths[n % 2]
            n += 1
            request = urllib.request.Request(
                self.base + path, headers={"Cookie": f"sessionid={self.session}"}
            )
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    outcome = str(response.status)
            except urllib.error.HTTPError as exc:
                outcome = str(exc.code)
                if exc.code == 503 and path != "/healthz":
                    # The French page that tells the user to retry (ctg.errors).
                    try:
                        page = exc.read().decode("utf-8", "replace")
                    except Exception as read_error:  # noqa: BLE001
                        page, outcome = "", f"503 illisible ({type(read_error).__name__})"
                    if page and "Service momentanément indisponible" not in page:
                        outcome = "503 sans la page française"
            except Exception as exc:  # noqa: BLE001
                outcome = type(exc).__name__
            with self.lock:
                self.results.append((started, time.monotonic(), path, outcome))
            time.sleep(0.02)

    def between(self, start: float, end: float) -> list[tuple]:
        with self.lock:
            return [r for r in self.results if start <= r[0] < end]

    def pause(self) -> None:
        self.running.clear()
        time.sleep(0.5)  # let the requests in flight end

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


def failures(results) -> list[tuple]:
    return [r for r in results if r[3] != "200"]


def login(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/connexion/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    from portal.demo import DEMO_PASSWORD

    data = urllib.parse.urlencode(
        {"username": common.DEMO_EDITOR, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(
        urllib.request.Request(base + "/connexion/", data=data, headers={"Referer": base}),
        timeout=10,
    )
    sessions = [c.value for c in jar if c.name == "sessionid"]
    if not sessions:
        raise SystemExit("connexion impossible avec le compte de démonstration")
    return sessions[0]


def restart_under_load(load: Load) -> None:
    """2. A real restart under load."""
    load.running.set()
    time.sleep(2)
    before = app_backends()
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"]
    say("Sous charge : " + " ".join(command))
    t_stop = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    common.wait_until(postgres_answers, timeout=60)
    t_ready = time.monotonic()
    say(f"PostgreSQL redémarré (code {done.returncode}) : {t_ready - t_stop:.1f} s d'arrêt")
    time.sleep(4)
    load.pause()
    t_end = time.monotonic()
    early = load.between(0, t_stop)
    window = [r for r in load.results if r[0] < t_ready and r[1] > t_stop]
    late = load.between(t_ready, t_end)
    in_flight = [r for r in window if r[0] < t_stop]
    say(
        f"Avant : {len(early)} requêtes, {len(failures(early))} en échec ; "
        f"pendant l'arrêt : {len(window)} requêtes ({len(in_flight)} en cours à l'arrêt), "
        f"{len(failures(window))} en échec {sorted({r[3] for r in failures(window)})} ; "
        f"après : {len(late)} requêtes, {len(failures(late))} en échec"
    )
    expect(done.returncode == 0, "pg_ctlcluster restart a réussi")
    page_failures = {r[3] for r in failures(window) if r[2] != "/healthz"}
    expect(
        page_failures <= {"503"},
        "pendant l'arrêt, les pages répondent 503 « Service momentanément indisponible » "
        f"(jamais 500) : {sorted(page_failures) or 'aucun échec'}",
    )
    expect(not failures(early), "aucun échec avant le redémarrage")
    expect(
        len(late) > 10 and not failures(late),
        "tout réussit dès que PostgreSQL répond (le coût se limite aux requêtes de l'arrêt)",
    )
    reconnected = app_backends()
    expect(
        bool(reconnected) and not reconnected & before,
        f"connexions renouvelées : {sorted(before)} → {sorted(reconnected)}",
    )


def main() -> None:
    restart = "--no-restart" not in sys.argv
    # Production settings: the error pages are the ones users get (DEBUG shows tracebacks).
    common.configure(
        redis_url=None,
        CONN_MAX_AGE="60",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
    )
    os.environ["DATABASE_URL"] = f"{common.DATABASE_URL}?application_name={APP_NAME}"
    common.setup_django()
    from django.core.management import call_command
    from django.db import connections

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest

    connections.close_all()  # only gunicorn's workers hold connections from now on
    port = common.free_port()
    base = f"http://127.0.0.1:{port}"
    # The server's error log (tracebacks of the failed requests) goes to a file.
    log = tempfile.NamedTemporaryFile(prefix="ctg-faults-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [str(common.VENV_BIN / "gunicorn"), "ctg.wsgi", "-w", str(WORKERS)]
        + ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "30"],
        cwd=common.ROOT,
        env=os.environ.copy(),
        stdout=log,
        stderr=log,
    )
    load = None
    try:
        if not common.wait_until(lambda: _up(base), timeout=30):
            raise SystemExit("gunicorn ne répond pas")
        say(f"Application sous gunicorn ({WORKERS} workers, CONN_MAX_AGE=60) sur {base}")
        load = Load(base, login(base))

        # 1. Idle persistent connections killed by the server.
        load.running.set()
        time.sleep(3)
        load.pause()
        before = app_backends()
        served = len(load.results)
        say(f"{served} requêtes servies ; connexions de l'application : {sorted(before)}")
        expect(
            0 < len(before) <= WORKERS,
            "connexions persistantes : une par worker, réutilisées d'une requête à l'autre",
        )
        killed = admin_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [APP_NAME],
        )
        say(f"{len(killed)} connexion(s) inactive(s) de l'application coupées par le serveur")
        mark = time.monotonic()
        load.running.set()
        time.sleep(3)
        load.pause()
        after = load.between(mark, time.monotonic())
        say(f"Ensuite : {len(after)} requêtes, {len(failures(after))} en échec")
        expect(
            len(after) > 10 and not failures(after),
            "aucune requête perdue : chaque worker vérifie sa connexion et se reconnecte",
        )
        reconnected = app_backends()
        expect(
            bool(reconnected) and not reconnected & before,
            f"nouvelles connexions {sorted(reconnected)}",
        )

        if restart:
            restart_under_load(load)
        else:
            say("Redémarrage de PostgreSQL sauté (--no-restart)")
    finally:
        if load:
            load.close()
        server.terminate()
        server.wait(timeout=30)
        log.close()
        text = Path(log.name).read_text(errors="replace")
        errors = text.count("Internal Server Error")
        unavailable = text.count("Service Unavailable")
        say(
            f"Journal de gunicorn : {errors} erreur(s) 500 et {unavailable} réponse(s) 503 "
            f"journalisées, dans {log.name}"
        )
        if not postgres_answers():
            say("PostgreSQL ne répond pas : démarrage")
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"],
                timeout=120,
            )
            expect(common.wait_until(postgres_answers, timeout=60), "PostgreSQL est reparti")
    common.finish("Connexions PostgreSQL coupées et redémarrage")


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001
        return False


if __name__ == "__main__":
    main()
