"""What the fault scripts share: their own database, their own Redis, a real worker.

Each script runs against the machine's real PostgreSQL (database ``ctg_faults``,
created when missing, never another one) and a private ``redis-server`` on a
free port, so that stopping "Redis" never touches the Redis other programs use.
Everything prints what it did and what it observed; ``expect`` records each
expectation and the script exits 1 if one failed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get(
    "FAULTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ctg_faults"
)
DEMO_EDITOR = "agent.caf82@ctg.example"  # Caf staff of the QRGA convention

_failures: list[str] = []
_started = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f} s] {message}", flush=True)


def expect(condition: bool, what: str) -> bool:
    say(("  OK   " if condition else "  ÉCHEC ") + what)
    if not condition:
        _failures.append(what)
    return condition


def finish(title: str) -> None:
    if _failures:
        say(f"{title} : {len(_failures)} attente(s) non tenue(s)")
        for what in _failures:
            say(f"  - {what}")
        sys.exit(1)
    say(f"{title} : toutes les attentes sont tenues")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def ensure_database() -> None:
    """Create ``ctg_faults`` when missing (connecting to the ``postgres`` database)."""
    import psycopg2
    from psycopg2 import sql

    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"Base PostgreSQL {name} créée")
    conn.close()


class RedisServer:
    """A private redis-server on a free port, that the script may stop and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server est introuvable (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers():
            try:
                return client.ping()
            except redis.exceptions.ConnectionError:
                return False

        if not wait_until(answers, timeout=10):
            raise SystemExit(f"redis-server ne répond pas sur le port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def configure(*, redis_url: str | None, **extra: str) -> Path:
    """Environment of the app and of its workers; returns the media directory."""
    media = Path(tempfile.mkdtemp(prefix="ctg-faults-media-"))
    atexit.register(shutil.rmtree, media, True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ctg.settings",
            "DEBUG": "1",
            "SECRET_KEY": "faults-only-not-a-secret",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": DATABASE_URL,
            "MEDIA_ROOT": str(media),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
            "REDIS_URL": redis_url or "",
            **extra,
        }
    )
    if not redis_url:
        os.environ.pop("REDIS_URL")
    return media


def setup_django() -> None:
    """Django in this process, the database migrated and the demo data in place."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from portal.demo import seed_demo

    ensure_database()
    call_command("migrate", "--noinput", verbosity=0)
    seed_demo()


def start_worker(name: str) -> subprocess.Popen:
    """A real Celery worker (solo pool: one process, that the script can SIGKILL)."""
    process = subprocess.Popen(
        [str(VENV_BIN / "celery"), "-A", "ctg", "worker", "--pool=solo", "--concurrency=1"]
        + ["--loglevel=WARNING", "--without-gossip", "--without-mingle", "-n", f"{name}@%h"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    say(f"Worker Celery {name} démarré (pid {process.pid})")
    return process


def stop_worker(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
