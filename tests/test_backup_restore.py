"""The backup and restore procedure (ops/backup.sh, ops/restore.sh) on the real PostgreSQL.

The data is committed (transactional test) so that pg_dump sees it; the dump is restored into
a new database, whose row counts must equal the source's for every table of the project.
"""

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ("conventions", "diagnostics", "actions", "evaluation")


def _url(settings_dict: dict, name: str) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _tables() -> list[str]:
    tables = set()
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
    return sorted(tables | {"django_migrations"})


def _counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        skip_or_fail("la sauvegarde se teste sur PostgreSQL (DATABASE_URL=postgres://…)")
    for tool in ("pg_dump", "pg_restore", "psql"):
        if not shutil.which(tool):
            skip_or_fail(f"{tool} est absent (apt-get install postgresql-client)")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_every_row(postgresql, world, tmp_path):
    call_command("seed_demo", verbosity=0)
    media = tmp_path / "media"
    (media / "rapports").mkdir(parents=True)
    (media / "rapports" / "rapport.pdf").write_bytes(b"%PDF-1.7 test")

    settings_dict = connection.settings_dict
    source_url = _url(settings_dict, settings_dict["NAME"])
    tables = _tables()
    with connection.cursor() as cursor:
        source = _counts(cursor, tables)
    assert source["conventions_convention"] >= 4 and source["actions_actionsheet"] > 0

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": source_url, "MEDIA_ROOT": str(media)}
    backup = subprocess.run(
        [str(ROOT / "ops" / "backup.sh"), str(tmp_path / "backups")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    dump, archive = backup.stdout.split()
    assert dump.endswith(".dump") and archive.endswith("-media.tar.gz")

    fresh = f"ctg_restore_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(_url(settings_dict, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{fresh}"')
        target_url = _url(settings_dict, fresh)
        restored_media = tmp_path / "restored-media"
        subprocess.run(
            [str(ROOT / "ops" / "restore.sh"), dump, target_url, archive],
            env={**env, "MEDIA_ROOT": str(restored_media)},
            capture_output=True,
            text=True,
            check=True,
        )
        restored = psycopg2.connect(target_url)
        try:
            with restored.cursor() as cursor:
                assert _counts(cursor, tables) == source
                cursor.execute("SELECT name FROM conventions_convention ORDER BY name")
                names = [row[0] for row in cursor.fetchall()]
        finally:
            restored.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM conventions_convention ORDER BY name")
            assert names == [row[0] for row in cursor.fetchall()]
        assert (restored_media / "rapports" / "rapport.pdf").read_bytes() == b"%PDF-1.7 test"

        # A second restore into the now populated database is refused: no overwrite.
        again = subprocess.run(
            [str(ROOT / "ops" / "restore.sh"), dump, target_url],
            env=env,
            capture_output=True,
            text=True,
        )
        assert again.returncode == 3
        assert "already has" in again.stderr
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        admin.close()
