"""`python -m bench --tpch-shape` still runs make demo's two stages end to end and reports each stage's seconds
and peak memory and both models' metrics into the `tpch_shape` object of results.json, keeping the file's
other keys. At 1/100 of TPC-H SF1's shape: the real size is not for CI, and at 1/500 (300 customers) the
churn model rightly fails its check against the recency rule, which fails the benchmark's run."""

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
