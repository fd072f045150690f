"""The bench end to end at two data sizes: every measured page runs the same
number of SQL queries whatever the size of the data (not timed here)."""

import json

import pytest
from django.core.management import call_command

from bench import scale


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _bench(tmp_path, name, *args):
    output = tmp_path / f"{name}.json"
    call_command("bench", "--repeat", "1", "--report-repeat", "1", "--output", str(output), *args)
    return json.loads(output.read_text())


def test_the_measured_pages_run_the_same_number_of_queries_at_two_sizes(db, tmp_path, media):
    # A small largest convention keeps the test fast; its size is the same at both
    # data sizes so that only the rest of the data grows.
    small = _bench(tmp_path, "small", "--conventions", "2", "--largest-fiches", "6")
    call_command(
        "generate_scale_data", "--conventions", "6", "--reset", "--seed", "5",
        "--largest-fiches", "6",
    )  # fmt: skip
    large = _bench(tmp_path, "large", "--skip-generate")

    assert small["data"]["conventions"] == 2
    assert large["data"]["conventions"] == 6
    assert large["data"]["measurements"] > small["data"]["measurements"]
    small_counts = {m["key"]: m["queries"] for m in small["measures"]}
    large_counts = {m["key"]: m["queries"] for m in large["measures"]}
    assert set(small_counts) == {
        "baseline",
        "dashboard",
        "dashboard_cold",
        "dashboard_raw_sql",
        "portfolio",
        "fiche_list",
        "indicator",
        "fiche_export",
        "measurement_import",
        "report_build",
    }
    assert small_counts == large_counts
    # Every page did real work and the reports built were cleaned away.
    assert all(n > 0 for n in small_counts.values())
    assert not list((media / "reports").rglob("*.pdf")) if (media / "reports").exists() else True


def test_the_bench_reports_ratios_to_the_baseline_and_to_raw_sql(db, tmp_path, media):
    results = _bench(tmp_path, "one", "--conventions", "2", "--largest-fiches", "8")
    by_key = {m["key"]: m for m in results["measures"]}
    assert by_key["baseline"]["ratio_baseline"] == pytest.approx(1.0)
    assert by_key["dashboard"]["extra"]["ratio_raw_sql"] > 0
    assert by_key["dashboard"]["extra"]["raw_sql_p50_ms"] > 0
    for m in results["measures"]:
        assert m["p50_ms"] > 0 and m["p95_ms"] >= m["p50_ms"]
    assert results["data"]["largest_convention_fiches"] == 8
    assert scale.scale_cafs().count() == 1


def test_the_bench_refuses_to_run_without_data(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="jeu d'échelle"):
        _bench(tmp_path, "none", "--skip-generate")


def test_the_bench_leaves_no_period_lock_behind_so_that_it_can_run_again(db, tmp_path, media):
    # The reports it builds lock their periods (evaluation.locks); a lock left behind made
    # the next run's measurement import refuse its workbook.
    from evaluation.models import PeriodLock

    first = _bench(tmp_path, "first", "--conventions", "2", "--largest-fiches", "6")
    assert first["measures"]
    assert not PeriodLock.objects.exists()
    again = _bench(tmp_path, "again", "--skip-generate")
    assert {m["key"] for m in again["measures"]} == {m["key"] for m in first["measures"]}
