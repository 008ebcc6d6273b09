"""`ours`, the Dagster side: materialize a set of the ML location's assets through Dagster's Python API,
as a user's run would, on $WAREHOUSE_DIR (the dbt side is `dbt build` itself, run by bench/__main__.py).

    python -m bench.ours features|extra
"""

import sys

import dagster as dg

import ml_location.definitions as ml

ASSETS = {
    "features": ["customer_features", "product_features"],
    "extra": ["customer_churn_model", "demand_forecast_model", "customer_risk_scores", "product_demand_forecasts"],
}

if __name__ == "__main__":
    job = ml.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey(name) for name in ASSETS[sys.argv[1]]],
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    sys.exit(0 if result.success else 1)
