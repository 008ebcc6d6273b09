"""`make demo`: the main job, end to end, on the embedded DuckDB warehouse.

Raw landing files -> dbt staging and marts (the `analytics` code location) -> features, models and
predictions (the `ml` code location), each location's assets materialized through Dagster, then a report
of what came out and where. Sample raw files are generated only when $WAREHOUSE_DIR/raw/ has none."""

import os
import sys
import time

import dagster as dg

from datagen.__main__ import main as generate_raw_files
from demo import report

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def materialize_location(name: str, defs: dg.Definitions, instance: dg.DagsterInstance) -> bool:
    started = time.perf_counter()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, run_config=QUIET, raise_on_error=False, tags={"launched_by": "make demo"}
    )
    materialized = len(result.get_asset_materialization_events())
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    warned = [c for c in failed if c.severity == dg.AssetCheckSeverity.WARN]
    print(
        f"{name:>10}: {materialized} assets materialized, {len(checks)} checks "
        f"({len(checks) - len(failed)} passed, {len(warned)} warnings, {len(failed) - len(warned)} failed) "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            print(f"\n{name} failed:\n{event.event_specific_data.error.message}", file=sys.stderr)
    return result.success


def main() -> int:
    generate_raw_files(["--if-empty"])
    # Imported here so that a missing dbt manifest is reported after the data step, not before it.
    import analytics_location.definitions as analytics
    import ml_location.definitions as ml

    # With DAGSTER_HOME (make demo sets it), the runs land in the instance `make ui` shows.
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    print("Running the pipeline: raw files -> analytics (dbt) -> ml", flush=True)
    for name, defs in (("analytics", analytics.defs), ("ml", ml.defs)):
        if not materialize_location(name, defs, instance):
            return 1
    return report.main()


if __name__ == "__main__":
    sys.exit(main())
