"""Several data sizes in one ``make bench``: ``--scale 1,10``.

Each scale has its own database, named after ``DATABASE_URL`` (``ctg_bench`` for ×1,
``ctg_bench_x10`` for ×10; ``bench.sqlite3`` and ``bench_x10.sqlite3`` on SQLite) unless
``--scale-database 10=URL`` names it. For each scale, one after the other, a child
process (the same ``manage.py bench`` without ``--scale``) migrates that database, builds
(or reuses) the data set of ``--conventions × scale`` conventions, with the same largest
convention at every scale, and measures the pages; this process then writes
``bench/results.json`` with the results of every scale and, per measure, the ratio of its
p50 at each scale to its p50 at the first one (the target: at most ``SCALING_TARGET``).

Separate processes, so that no cache, connection or module state of one database leaks
into the measures of the other. This module imports no model: the Makefile calls
:func:`ensure_database` before ``migrate``.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

SCALING_TARGET = 1.2
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
MAX_SCALE = 100


class ScaleError(Exception):
    pass


def parse_scales(text: str) -> list[int]:
    """``"1,10"`` → ``[1, 10]`` (the first scale is the one the others are compared with)."""
    scales: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= MAX_SCALE:
            raise ScaleError(
                f"Échelle invalide : {part[:20]!r} (entiers de 1 à {MAX_SCALE} séparés par des "
                "virgules, par exemple 1,10)."
            )
        if int(part) in scales:
            raise ScaleError(f"Échelle donnée deux fois : {part}.")
        scales.append(int(part))
    return scales


def parse_database_overrides(values: list[str] | None) -> dict[int, str]:
    """``["10=postgres://…/autre"]`` → ``{10: "postgres://…/autre"}``."""
    overrides: dict[int, str] = {}
    for value in values or []:
        scale, sep, url = value.partition("=")
        if not sep or not scale.strip().isdigit() or "://" not in url:
            raise ScaleError(f"--scale-database attend ÉCHELLE=URL (par exemple 10=postgres://…), "
                             f"pas {value[:60]!r}.")  # fmt: skip
        overrides[int(scale)] = url.strip()
    return overrides


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def database_url_for(base_url: str, scale: int, overrides: dict[int, str] | None = None) -> str:
    """The database of ``scale``: an explicit one, else ``base_url`` for ×1, else the base
    database's name with ``_x<scale>`` (before the file extension on SQLite)."""
    if overrides and scale in overrides:
        return overrides[scale]
    if scale == 1:
        return base_url
    address, question, query = base_url.partition("?")
    head, slash, last = address.rpartition("/")
    if not last or "://" not in head + slash:
        raise ScaleError(f"Pas de nom de base dans {base_url!r}.")
    stem, dot, extension = (last, "", "") if is_postgres(base_url) else last.partition(".")
    return f"{head}{slash}{stem}_x{scale}{dot}{extension}{question}{query}"


def database_name(url: str) -> str:
    path = urlsplit(url).path
    if is_postgres(url):
        return path.lstrip("/")
    return path[1:]  # SQLite: sqlite:////abs/file → /abs/file


def _admin_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


def ensure_database(url: str | None = None) -> bool:
    """Create the PostgreSQL database of ``url`` (default: ``DATABASE_URL``) if it does not
    exist; SQLite files are created by ``migrate``. Returns whether it was created."""
    url = url or os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return False
    name = database_name(url)
    conn = _admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def drop_database(url: str) -> None:
    """``--fresh``: remove a bench database (only one whose name says ``bench``) so that its
    data set is generated again, and timed, in this run. PostgreSQL refuses while another
    session uses it: that session is never cut off."""
    name = database_name(url)
    if "bench" not in Path(name).name:
        raise ScaleError(f"--fresh ne supprime qu'une base de banc d'essai (« bench » dans son "
                         f"nom), pas {name!r}.")  # fmt: skip
    if not is_postgres(url):
        Path(name).unlink(missing_ok=True)
        return
    import psycopg2

    conn = _admin_connection(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    except psycopg2.errors.ObjectInUse as exc:
        raise ScaleError(f"La base {name} est utilisée par une autre session : {exc}") from exc
    finally:
        conn.close()


# ------------------------------------------------------------------ one scale


def run_scale(
    *,
    scale: int,
    url: str,
    child_args: list[str],
    output: Path,
    manage_py: Path,
    fresh: bool,
    log: Callable[[str], None],
) -> dict:
    """Migrate, generate (or reuse) and measure ``scale`` in a child process."""
    if fresh:
        drop_database(url)
    ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}  # its lines as they come
    log(f"== ×{scale} : {database_name(url)}")
    subprocess.run(
        [sys.executable, str(manage_py), "migrate", "--noinput", "-v0"], env=env, check=True
    )
    command = [sys.executable, str(manage_py), "bench", *child_args, "--output", str(output)]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            log(f"[×{scale}] {line.rstrip()}")
    if child.returncode:
        raise ScaleError(
            f"Le banc d'essai à l'échelle ×{scale} a échoué (code {child.returncode})."
        )
    results = json.loads(output.read_text())
    results["scale"] = scale
    results["database_name"] = database_name(url)
    return results


# ---------------------------------------------------------------- combination


def _previous_generation(previous: dict | None, entry: dict) -> dict | None:
    """A data set reused in this run keeps the generation figures of the run that built it."""
    for old in (previous or {}).get("scales", []):
        if (
            old.get("database_name") == entry["database_name"]
            and old.get("data", {}).get("conventions") == entry["data"]["conventions"]
            and old.get("generation")
        ):
            return {**old["generation"], "carried_over": True}
    return None


def combine(per_scale: list[dict], previous: dict | None = None) -> dict:
    """Results of every scale, and per measure its p50 at each scale over its p50 at the
    first scale (``ratio``), its queries and its ratio to the baseline at each scale."""
    if not per_scale:
        raise ScaleError("Aucune échelle mesurée.")
    for entry in per_scale:
        if "generation" not in entry:
            carried = _previous_generation(previous, entry)
            if carried:
                entry["generation"] = carried
    first = per_scale[0]
    rows = []
    for m in first["measures"]:
        row = {
            "key": m["key"],
            "label": m["label"],
            "role": m["role"],
            "queries": {},
            "p50_ms": {},
            "p95_ms": {},
            "ratio_baseline": {},
            "ratio": {},
            "ratio_normalized": {},
        }
        for entry in per_scale:
            other = next((o for o in entry["measures"] if o["key"] == m["key"]), None)
            if other is None:
                continue
            label = str(entry["scale"])
            row["queries"][label] = other["queries"]
            row["p50_ms"][label] = other["p50_ms"]
            row["p95_ms"][label] = other["p95_ms"]
            row["ratio_baseline"][label] = other["ratio_baseline"]
            if entry is not first and m["p50_ms"]:
                row["ratio"][label] = other["p50_ms"] / m["p50_ms"]
                # The same ratio with each p50 taken relative to its own scale's baseline,
                # measured in the same rounds: a check on a machine whose speed varied
                # between the runs (it counts the baseline's own growth against the page).
                if m["ratio_baseline"] and other["ratio_baseline"]:
                    row["ratio_normalized"][label] = other["ratio_baseline"] / m["ratio_baseline"]
        row["within_target"] = all(r <= SCALING_TARGET for r in row["ratio"].values())
        row["same_queries"] = len(set(row["queries"].values())) == 1
        rows.append(row)
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": first["database"],
        "debug": first["debug"],
        "machine": first["machine"],
        "repeat": first["repeat"],
        "scaling": {"base_scale": first["scale"], "target": SCALING_TARGET, "measures": rows},
        "scales": per_scale,
    }


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, factor in (("Go", 1 << 30), ("Mo", 1 << 20), ("ko", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} o"


def table(results: dict) -> str:
    """The scaling table: p50 at each scale, ratio to the first, queries; then the data
    sets (rows, generation, size on disk, biggest tables)."""
    scales = [str(e["scale"]) for e in results["scales"]]
    base = scales[0]
    head = f"{'Mesure':<48} {'Requêtes':>9}" + "".join(f" {'p50 ×' + s:>10}" for s in scales)
    head += "".join(f" {'×' + s + '/×' + base:>8} {'÷ réf.':>7}" for s in scales[1:])
    lines = [head, "-" * len(head)]
    for row in results["scaling"]["measures"]:
        queries = "/".join(str(row["queries"].get(s, "—")) for s in scales)
        line = f"{row['label'][:48]:<48} {queries:>9}"
        line += "".join(f" {row['p50_ms'].get(s, 0):>10.1f}" for s in scales)
        for s in scales[1:]:
            ratio = row["ratio"].get(s)
            flag = "" if ratio is None or ratio <= results["scaling"]["target"] else " !"
            line += f" {ratio:>6.2f}{flag:<2}" if ratio is not None else f" {'—':>8}"
            normalized = row["ratio_normalized"].get(s)
            line += f" {normalized:>7.2f}" if normalized is not None else f" {'—':>7}"
        lines.append(line)
    lines.append(
        f"(! : au-delà de l'objectif de {results['scaling']['target']}× le p50 à l'échelle ×{base} ; "
        "÷ réf. : le même rapport, chaque p50 rapporté à la référence de sa taille)"
    )
    lines.append("")
    for entry in results["scales"]:
        data, storage = entry["data"], entry.get("storage", {})
        generation = entry.get("generation") or {}
        built = (
            f"généré en {generation['seconds']:.1f} s"
            + (
                f", {generation['max_rss_mb']:.0f} Mo de mémoire"
                if "max_rss_mb" in generation
                else ""
            )
            + (" (mesure d'un passage précédent)" if generation.get("carried_over") else "")
            if generation
            else "génération non mesurée (jeu réutilisé)"
        )
        lines.append(
            f"×{entry['scale']} {entry['database_name']} : {data['conventions']} conventions, "
            f"{data['fiches']} fiches, {data['indicators']} indicateurs, "
            f"{data['measurements']} mesures ; {built} ; "
            f"{_size(storage.get('database_bytes'))} sur disque."
        )
        for t in storage.get("tables", [])[:6]:
            lines.append(
                f"    {t['name']:<40} {_size(t['total_bytes']):>9} "
                f"(table {_size(t['table_bytes'])}, index {_size(t['indexes_bytes'])})"
            )
    return "\n".join(lines)


def run_all(
    *,
    scales: list[int],
    base_url: str,
    overrides: dict[int, str],
    conventions: int,
    common_args: list[str],
    output: Path,
    manage_py: Path,
    fresh: bool,
    log: Callable[[str], None],
) -> dict:
    previous = None
    if output.exists():
        try:
            previous = json.loads(output.read_text())
        except ValueError:
            previous = None
    per_scale = []
    for scale in scales:
        url = database_url_for(base_url, scale, overrides)
        part = output.with_name(f"{output.stem}.x{scale}.part.json")
        try:
            per_scale.append(
                run_scale(
                    scale=scale,
                    url=url,
                    child_args=["--conventions", str(conventions * scale), *common_args],
                    output=part,
                    manage_py=manage_py,
                    fresh=fresh,
                    log=log,
                )
            )
        finally:
            part.unlink(missing_ok=True)
    results = combine(per_scale, previous)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results
