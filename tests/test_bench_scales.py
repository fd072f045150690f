"""``make bench BENCH_ARGS="--scale 1,10"``: one database per data size, the pages measured
at each size and the ratio of each page's p50 between sizes (bench/scales.py)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from bench import scales


def test_it_names_each_scale_database_after_the_base_one():
    pg = "postgres://postgres@127.0.0.1:5432/ctg_bench"
    assert scales.database_url_for(pg, 1) == pg
    assert scales.database_url_for(pg, 10) == "postgres://postgres@127.0.0.1:5432/ctg_bench_x10"
    assert scales.database_name(scales.database_url_for(pg, 10)) == "ctg_bench_x10"
    lite = "sqlite:////work/main/bench/bench.sqlite3"
    assert scales.database_url_for(lite, 10) == "sqlite:////work/main/bench/bench_x10.sqlite3"
    assert scales.database_name(lite) == "/work/main/bench/bench.sqlite3"
    explicit = {10: "postgres://postgres@127.0.0.1:5432/autre_bench"}
    assert scales.database_url_for(pg, 10, explicit) == explicit[10]


def test_it_refuses_bad_scale_lists():
    assert scales.parse_scales("1,10") == [1, 10]
    for bad in ["", "1,,10", "0,1", "1,x", "1,1", "1,1000", "-1", "1.5"]:
        with pytest.raises(scales.ScaleError):
            scales.parse_scales(bad)
    with pytest.raises(scales.ScaleError):
        scales.parse_database_overrides(["10:postgres://x/y"])
    assert scales.parse_database_overrides(["10=sqlite:////tmp/b.sqlite3"]) == {
        10: "sqlite:////tmp/b.sqlite3"
    }


def test_it_refuses_to_drop_a_database_that_is_not_a_bench_one(tmp_path):
    demo = tmp_path / "db.sqlite3"
    demo.write_bytes(b"not to be lost")
    with pytest.raises(scales.ScaleError, match="banc d'essai"):
        scales.drop_database(f"sqlite:///{demo}")
    with pytest.raises(scales.ScaleError, match="banc d'essai"):
        scales.drop_database("postgres://postgres@127.0.0.1:5432/ctg")
    assert demo.read_bytes() == b"not to be lost"


def test_the_command_refuses_scale_options_without_scales_and_bad_scales(monkeypatch):
    with pytest.raises(CommandError, match="--scale"):
        call_command("bench", "--fresh")
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x_bench.sqlite3")
    with pytest.raises(CommandError, match="Échelle invalide"):
        call_command("bench", "--scale", "1,zéro")
    monkeypatch.delenv("DATABASE_URL")
    with pytest.raises(CommandError, match="DATABASE_URL"):
        call_command("bench", "--scale", "1,10")


def _measure(key, p50, queries=5, baseline=None):
    return {
        "key": key, "label": key, "role": "r", "queries": queries, "p50_ms": p50,
        "p95_ms": p50 * 1.1, "ratio_baseline": p50 / baseline if baseline else None,
        "times_ms": [p50], "extra": {},
    }  # fmt: skip


def _scale_result(scale, name, conventions, measures, generation=None):
    result = {
        "date": "2026-11-28T12:00:00+01:00", "database": "postgresql", "debug": False,
        "machine": {"cpus": 2}, "repeat": 3, "scale": scale, "database_name": name,
        "data": {"conventions": conventions, "fiches": 1, "indicators": 1, "measurements": 1},
        "storage": {"database_bytes": 1 << 20, "tables": []}, "measures": measures,
    }  # fmt: skip
    if generation:
        result["generation"] = generation
    return result


def test_it_flags_a_page_that_grows_more_than_the_target_between_scales():
    one = _scale_result(
        1, "b", 10, [_measure("baseline", 10, baseline=10), _measure("portfolio", 40, baseline=10)]
    )
    ten = _scale_result(
        10, "b_x10", 100,
        [_measure("baseline", 11, baseline=11), _measure("portfolio", 60, queries=6, baseline=11)],
    )  # fmt: skip
    results = scales.combine([one, ten])
    rows = {r["key"]: r for r in results["scaling"]["measures"]}
    assert rows["baseline"]["ratio"] == {"10": pytest.approx(1.1)}
    assert rows["baseline"]["within_target"] and rows["baseline"]["same_queries"]
    assert rows["portfolio"]["ratio"] == {"10": pytest.approx(1.5)}
    assert rows["portfolio"]["ratio_normalized"] == {"10": pytest.approx((60 / 11) / (40 / 10))}
    assert not rows["portfolio"]["within_target"]
    assert not rows["portfolio"]["same_queries"]
    assert "1.50 !" in scales.table(results)


def test_a_reused_data_set_keeps_the_generation_figures_of_the_run_that_built_it():
    built = {"seconds": 312.5, "rows": 20_000_000, "max_rss_mb": 400, "date": "2026-11-28"}
    previous = scales.combine(
        [_scale_result(10, "b_x10", 13000, [_measure("baseline", 10)], generation=built)]
    )
    again = scales.combine(
        [_scale_result(10, "b_x10", 13000, [_measure("baseline", 10)])], previous
    )
    assert again["scales"][0]["generation"] == {**built, "carried_over": True}
    # Another data set in the same database (other size) does not inherit them.
    other = scales.combine([_scale_result(10, "b_x10", 6500, [_measure("baseline", 10)])], previous)
    assert "generation" not in other["scales"][0]


@pytest.mark.slow
def test_make_bench_with_two_scales_measures_each_in_its_own_database(tmp_path):
    """End to end, as `make bench BENCH_ARGS="--scale 1,2"` runs it, on SQLite files: the
    command measures each scale in a child process against its own database."""
    base = tmp_path / "bench.sqlite3"
    env = {
        **os.environ,
        "DEBUG": "0", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{base}", "MEDIA_ROOT": str(tmp_path / "media"),
        "CELERY_TASK_ALWAYS_EAGER": "1", "LOG_LEVEL": "WARNING", "REDIS_URL": "",
    }  # fmt: skip
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    # Migrated once; the ×2 database starts as a copy (its own migrate is then quick).
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    shutil.copy(base, tmp_path / "bench_x2.sqlite3")
    output = tmp_path / "results.json"
    done = subprocess.run(
        [*manage, "bench", "--scale", "1,2", "--conventions", "2", "--largest-fiches", "6",
         "--repeat", "1", "--report-repeat", "1", "--output", str(output)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads(output.read_text())
    one, two = results["scales"]
    assert (one["scale"], two["scale"]) == (1, 2)
    assert one["database_name"] == str(base)
    assert two["database_name"] == str(tmp_path / "bench_x2.sqlite3")
    assert one["data"]["conventions"] == 2 and two["data"]["conventions"] == 4
    assert two["data"]["measurements"] > one["data"]["measurements"]
    # The same largest convention at both sizes: only the rest of the data grows.
    assert one["data"]["largest_convention_fiches"] == two["data"]["largest_convention_fiches"]
    assert one["generation"]["seconds"] > 0 and two["generation"]["max_rss_mb"] > 0
    assert 0 < one["storage"]["database_bytes"] < two["storage"]["database_bytes"]
    rows = {r["key"]: r for r in results["scaling"]["measures"]}
    assert {"baseline", "dashboard", "portfolio", "fiche_list", "indicator"} <= set(rows)
    for row in rows.values():
        assert row["ratio"]["2"] == pytest.approx(row["p50_ms"]["2"] / row["p50_ms"]["1"])
        assert row["same_queries"], row
    assert "p50 ×2" in done.stdout and "×2/×1" in done.stdout
    assert not list(tmp_path.glob("*.part.json"))
