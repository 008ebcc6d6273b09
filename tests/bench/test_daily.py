"""The daily update (`python -m bench --orders N --batch M`) end to end at a tiny size: its `daily` object,
the incremental update found equal to a full refresh, and the other keys of results.json kept. And the
comparison itself: a table that differs after the update is found, so `equal_to_full_refresh` can fail."""

import duckdb
import pytest
from support import run_bench

from bench.daily import COMPARED, differences, snapshot

METHODS = ("ours_update", "ours_full", "baseline", "floor")
EARLIER = {"orders": 7, "baseline": {"written_by": "an earlier run without --batch"}, "machine": {}}


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    out = tmp_path_factory.mktemp("daily")
    result, document = run_bench(out, EARLIER, "--orders", "20000", "--batch", "2000", "--batches", "10")
    return out, result, document


def test_the_daily_update_reports_every_method_and_equals_a_full_refresh(daily):
    out, result, document = daily
    report = document["daily"]
    assert (report["orders"], report["batch"], report["batches"]) == (20_000, 2_000, 11)
    for method in METHODS:
        assert report[method]["ok"], (method, report[method]["problem"])
        assert report[method]["total_s"] > 0 and report[method]["peak_mb"] > 0
    for method in ("ours_update", "ours_full"):
        assert {"marts", "features"} <= set(report[method]["stages"])
        assert report[method]["slowest_nodes"] and report[method]["dbt_elapsed_s"] > 0
    assert {"marts", "features"} <= set(report["baseline"]["stages"])
    assert report["equal_to_full_refresh"] is True and report["differences"] == {}
    assert report["ratios"]["update_over_full_time"] > 0 and report["ratios"]["update_over_baseline_time"] > 0
    assert set(report["ratios"]["targets_met"]) == {"update_over_full_time", "update_over_baseline_time"}
    assert "equal_to_full_refresh: true" in result.stdout
    assert (out / "daily.png").stat().st_size > 0


def test_a_run_with_batch_keeps_the_other_keys(daily):
    _, _, document = daily
    assert {key: document[key] for key in ("orders", "baseline")} == {
        "orders": EARLIER["orders"],
        "baseline": EARLIER["baseline"],
    }


def build(path, tables: dict[str, list[tuple]]) -> None:
    with duckdb.connect(str(path)) as con:
        for table in COMPARED:
            con.execute(f"create schema if not exists {table.split('.')[0]}")
            con.execute(f"create table {table} (k integer, amount double)")
            if rows := tables.get(table):
                con.executemany(f"insert into {table} values (?, ?)", rows)


def test_the_comparison_finds_a_row_the_update_got_wrong_and_a_missing_duplicate(tmp_path):
    (tmp_path / "updated").mkdir()
    (tmp_path / "full").mkdir()
    rows = [(1, 10.0), (2, 20.0), (2, 20.0)]
    build(
        tmp_path / "updated" / "analytics.duckdb",
        {"marts.product_performance": [(1, 10.0), (2, 20.5), (2, 20.0)], "quarantine.rejected_orders": rows[:2]},
    )
    build(
        tmp_path / "full" / "analytics.duckdb", {"marts.product_performance": rows, "quarantine.rejected_orders": rows}
    )
    snapshot(tmp_path / "updated", tmp_path / "copy.duckdb")
    assert differences(tmp_path / "copy.duckdb", tmp_path / "full") == {
        "marts.product_performance": [1, 1],
        "quarantine.rejected_orders": [0, 1],
    }
    snapshot(tmp_path / "full", tmp_path / "same.duckdb")
    assert differences(tmp_path / "same.duckdb", tmp_path / "full") == {}


def test_the_daily_update_on_postgresql_loads_builds_and_equals_a_full_refresh(tmp_path):
    """`--backend postgres --batch M`: ours' update and full build on a throwaway server (the raw load, then
    dbt, then the features), side by side in the `daily_postgres` object, compared by row checksums."""
    result, document = run_bench(
        tmp_path, EARLIER, "--orders", "20000", "--batch", "2000", "--batches", "10", "--backend", "postgres"
    )
    report = document["daily_postgres"]
    assert report["backend"] == "postgres" and "daily" not in document
    for method in ("ours_update", "ours_full"):
        assert report[method]["ok"], (method, report[method]["problem"])
        assert {"load", "marts", "features"} <= set(report[method]["stages"])
    assert report["equal_to_full_refresh"] is True and report["differences"] == {}
    assert report["ratios"]["update_over_full_time"] > 0
    assert "equal_to_full_refresh: true" in result.stdout
