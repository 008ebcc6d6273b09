"""`python -m bench --tpch-shape` still runs make demo's two stages end to end and reports each stage's seconds
and peak memory and both models' metrics into the `tpch_shape` object of results.json, keeping the file's
other keys. At 1/100 of TPC-H SF1's shape: the real size is not for CI, and at 1/500 (300 customers) the
churn model rightly fails its check against the recency rule, which fails the benchmark's run."""

import duckdb
from support import run_bench

EARLIER = {"orders": 1, "written_by": "an earlier run without --tpch-shape"}


def test_the_tpch_shaped_case_reports_both_stages_and_both_models(tmp_path):
    result, report = run_bench(tmp_path, EARLIER, "--tpch-shape", "--tpch-scale", "0.01")
    assert {k: report[k] for k in EARLIER} == EARLIER
    shape = report["tpch_shape"]
    assert shape["sizes"] == {"orders": 60_000, "customers": 1_500, "products": 2_000, "years": 7}
    for name in ("analytics", "ml"):
        stage = shape["stages"][name]
        assert stage["ok"], (name, stage["problem"])
        assert stage["total_s"] > 0 and stage["peak_mb"] > 0
    assert shape["ml_over_analytics_time"] > 0
    assert {"roc_auc", "baseline_roc_auc"} <= set(shape["metrics"]["customer_churn_model"])
    demand = shape["metrics"]["demand_forecast_model"]
    assert {"mae", "baseline_mae"} <= set(demand)
    assert demand["test_products"] <= 2_000
    assert "ML stage / analytics stage" in result.stdout


def test_real_tpch_data_from_tpchgen_runs_both_stages(tmp_path):
    """TPC-H's own tables at scale factor 0.01 (tpchgen-cli), mapped onto the raw contract (bench/tpch_raw.py):
    every line, customer and part arrives, nothing is quarantined, both stages and both models finish."""
    args = ("--tpch-shape", "--tpch-data", "tpchgen", "--tpch-scale", "0.01", "--keep")
    _, report = run_bench(tmp_path, EARLIER, *args)
    shape = report["tpch"]
    assert shape["data"] == "tpchgen-cli, scale factor 0.01"
    assert shape["sizes"] == {"orders": 60_175, "customers": 1_500, "products": 2_000, "years": 7}
    assert all(stage["ok"] for stage in shape["stages"].values()), shape["stages"]
    assert set(shape["metrics"]) == {"customer_churn_model", "demand_forecast_model"}
    assert "tpch_shape" not in report
    with duckdb.connect(
        str(tmp_path / "work" / "tpch_shape" / "warehouse" / "analytics.duckdb"), read_only=True
    ) as con:
        assert con.execute("select count(*) from marts.customer_order_summary").fetchone() == (1_500,)
        for table in ("rejected_orders", "rejected_customers", "rejected_products"):
            assert con.execute(f"select count(*) from quarantine.{table}").fetchone() == (0,), table
