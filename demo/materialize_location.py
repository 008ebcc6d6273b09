"""Materialize every asset of one code location, in the calling interpreter: `make demo` runs this file
with each location's own interpreter (workspace.yaml's executable_path), so each location runs in its own
environment, as under `make ui` and `make serve`. Run as a file, not imported: it needs only dagster and
the location's module.

    .venvs/ml/bin/python demo/materialize_location.py ml_location.definitions ml
"""

import importlib
import os
import sys
import time

import dagster as dg

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def main(module_name: str, name: str) -> int:
    started = time.perf_counter()
    defs = importlib.import_module(module_name).defs
    # With DAGSTER_HOME (make demo sets it), the runs land in the instance `make ui` shows.
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
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
        f"in {time.perf_counter() - started:.0f} s ({sys.executable})",
        flush=True,
    )
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            print(f"\n{name} failed:\n{event.event_specific_data.error.message}", file=sys.stderr)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
