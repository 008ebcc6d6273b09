"""`python -m bench --backend postgres` runs ours on a throwaway PostgreSQL server too (at a tiny size), with its
stages and dbt's per-node seconds under the `postgres` key, and leaves the DuckDB results as they were."""

import json
import os
import subprocess
import sys

import pytest
from support import REPO_ROOT


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench_postgres")
    command = [
        "-m",
        "bench",
        "--orders",
        "20000",
        "--backend",
        "postgres",
        "--out",
        str(out),
        "--work",
        str(out / "work"),
    ]
    env_without_urls = {
        name: value
        for name, value in os.environ.items()
        if name not in ("ANALYTICS_PG_URL", "ML_PG_URL", "WAREHOUSE_BACKEND")
    }
    result = subprocess.run(
        [sys.executable, *command], cwd=REPO_ROOT, env=env_without_urls, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads((out / "results.json").read_text())


def test_ours_runs_on_postgres_and_reports_its_stages_and_nodes(bench):
    result, report = bench
    postgres = report["postgres"]
    assert postgres["ok"], postgres["problem"]
    assert set(postgres["stages"]) == {"load", "marts", "features"}
    assert all(stage["s"] > 0 for stage in postgres["stages"].values())
    assert 0 < postgres["dbt_elapsed_s"] < postgres["stages"]["marts"]["s"]
    assert postgres["dbt_target"] == "postgres"
    assert {"typed_orders", "checked_orders", "customer_order_summary"} <= set(postgres["nodes_s"])
    assert "analytics-on-run-end-1" in postgres["nodes_s"]
    assert "ours on PostgreSQL: ok" in result.stdout


def test_the_duckdb_results_keep_their_keys(bench):
    _, report = bench
    assert {"machine", "orders", "seed", "baseline", "floor", "ours", "ours_extra", "ratios"} <= set(report)
    for method in ("baseline", "floor", "ours", "ours_extra"):
        assert report[method]["ok"], (method, report[method]["problem"])
    assert {"marts", "features"} <= set(report["ours"]["stages"])
