"""The benchmark still works end to end (at a tiny size; the real sizes are not for CI), and its three
methods compute the same marts: the timings compare like with like only if they agree."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from support import run_bench

METHODS = ("baseline", "floor", "ours")
# Values each method rounds to cents may differ by one cent: pandas rounds halves to even, SQL away from zero.
ONE_CENT = 0.01 + 1e-9
EARLIER_DAILY = {"orders": 1, "batch": 1, "written_by": "an earlier run with --batch"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # A daily update's figures already there: a run without --batch must keep them (test_daily.py checks).
    # Clean raw files: the baseline and the floor have no quarantine, so they agree with ours only when
    # there is nothing to quarantine. --backend postgres: ours on a throwaway PostgreSQL server too.
    command = ["--orders", "20000", "--bad-rate", "0", "--keep", "--backend", "postgres"]
    result, report = run_bench(out, {"daily": EARLIER_DAILY}, *command)
    return out, result, report


def test_the_benchmark_runs_and_reports_every_method(bench):
    out, result, report = bench
    assert report["orders"] == 20_000
    for method in ("baseline", "floor", "ours", "ours_extra"):
        assert report[method]["ok"], (method, report[method]["problem"])
        assert report[method]["total_s"] > 0 and report[method]["peak_mb"] > 0
        assert report[method]["stages"]
    assert {"marts", "features"} <= set(report["ours"]["stages"])
    assert report["ratios"]["baseline_over_ours_time"] > 0
    assert (out / "chart.png").stat().st_size > 0
    assert "ours (dbt + Dagster)" in result.stdout
    assert report["daily"] == EARLIER_DAILY


def load(where: str) -> pd.DataFrame:
    """A method's mart: a pickle (baseline) or `<duckdb file>:<table>`."""
    if where.endswith(".pkl"):
        return pd.read_pickle(where)
    database, table = where.rsplit(":", 1)
    with duckdb.connect(database, read_only=True) as con:
        return con.execute(f"from {table}").df()


def differences(mart: str, expected: pd.Series, found: pd.Series) -> int:
    if pd.api.types.is_float_dtype(expected) or pd.api.types.is_float_dtype(found):
        return int((~np.isclose(expected.astype(float), found.astype(float), rtol=1e-9, atol=ONE_CENT)).sum())
    if pd.api.types.is_datetime64_any_dtype(expected):
        return int((expected.astype("datetime64[us]") != found.astype("datetime64[us]")).sum())
    return int((expected.astype(object).to_numpy() != found.astype(object).to_numpy()).sum())


@pytest.mark.parametrize("mart", ["customer_order_summary", "product_performance"])
def test_the_three_methods_compute_the_same_marts(bench, mart):
    _, _, report = bench
    frames = {method: load(report["marts"][method][mart]) for method in METHODS}
    key = frames["baseline"].columns[0]  # customer_id, product_id
    columns = [c for c in frames["baseline"].columns if c != key and all(c in f.columns for f in frames.values())]
    assert len(columns) >= 5, f"{mart}: too few columns in common to compare: {columns}"
    assert all(frame[key].is_unique for frame in frames.values())

    # Ours has a row for every staged customer or product, the others only for those with orders.
    shared = set(frames["baseline"][key])
    assert set(frames["floor"][key]) == shared and shared <= set(frames["ours"][key])
    counts = "total_orders" if "total_orders" in frames["ours"] else "orders"
    assert (frames["ours"].loc[~frames["ours"][key].isin(shared), counts] == 0).all()

    rows = sorted(shared)
    aligned = {method: frame.set_index(key).loc[rows, columns] for method, frame in frames.items()}
    mismatches = {
        (method, column): n
        for method in ("floor", "ours")
        for column in columns
        if (n := differences(mart, aligned["baseline"][column], aligned[method][column]))
    }
    assert not mismatches, f"{mart}: rows differing from the baseline, per method and column: {mismatches}"


def test_ours_runs_on_postgres_and_reports_its_stages_and_nodes(bench):
    _, result, report = bench
    postgres = report["postgres"]
    assert postgres["ok"], postgres["problem"]
    assert set(postgres["stages"]) == {"load", "marts", "features"}
    assert all(stage["s"] > 0 for stage in postgres["stages"].values())
    assert postgres["dbt_target"] == "postgres"
    assert 0 < postgres["dbt_elapsed_s"] < postgres["stages"]["marts"]["s"]
    assert {"typed_orders", "checked_orders", "customer_order_summary"} <= set(postgres["nodes_s"])
    assert "analytics-on-run-end-0" in postgres["nodes_s"]  # the publish hook
    assert "ours on PostgreSQL: ok" in result.stdout
