"""A dbt build run by Dagster, as the analytics location runs it (dagster-dbt's streamed events, asset
checks, the table metadata that ANALYTICS_DBT_METADATA asks for), on $WAREHOUSE_DIR, through Dagster's
Python API on a throwaway instance. The benchmark runs it once per metadata level to measure what
dagster-dbt's fetches cost.

    python -m bench.dagster_dbt full|incremental
"""

import sys

import dagster as dg

from analytics_location.dbt_models import analytics_dbt_models
from analytics_location.definitions import defs

if __name__ == "__main__":
    full_refresh = sys.argv[1] == "full"
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=list(analytics_dbt_models.keys),
        run_config={
            "ops": {analytics_dbt_models.op.name: {"config": {"full_refresh": full_refresh}}},
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
        },
        raise_on_error=False,
    )
    materialized = result.get_asset_materialization_events()
    with_counts = sum("dagster/row_count" in e.materialization.metadata for e in materialized)
    print(f"materialized {len(materialized)} assets, {with_counts} with a row count", flush=True)
    sys.exit(0 if result.success else 1)
