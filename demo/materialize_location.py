"""Materialize every asset of one code location, in the calling interpreter: `make demo` runs this file
with each location's own interpreter (workspace.yaml's executable_path), so each location runs in its own
environment, as under `make ui` and `make serve`. Run as a file, not imported: it needs only dagster, the
location's module and demo/stage.py beside it.

    .venvs/ml/bin/python demo/materialize_location.py ml_location.definitions ml

Dagster's own log (every event, at INFO and above) goes to stderr, which make demo writes to the stage's
log file; stdout carries one progress line per asset materialized and the final summary."""

import importlib
import os
import re
import sys
import threading
import time
import uuid

import dagster as dg
from stage import progress

POLL_SECONDS = 1.0
LOG_LEVEL = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def report_progress(instance: dg.DagsterInstance, run_id: str, total: int, done: threading.Event) -> None:
    """While the run goes on, one progress line each time more of the location's assets are materialized."""
    shown = -1
    while not done.wait(POLL_SECONDS):
        events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        if len(events) != shown:
            shown = len(events)
            latest = f", last {events[-1].asset_materialization.asset_key.to_user_string()}" if events else ""
            progress(f"{shown}/{total} assets{latest}")


def main(module_name: str, name: str) -> int:
    started = time.perf_counter()
    defs = importlib.import_module(module_name).defs
    # With DAGSTER_HOME (make demo sets it: the warehouse's instance), the runs land in the one `make ui` shows.
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    job = defs.resolve_implicit_global_asset_job_def()
    total = len(defs.resolve_asset_graph().materializable_asset_keys)  # raw files are observed, not built
    run_id, done = str(uuid.uuid4()), threading.Event()
    watcher = threading.Thread(target=report_progress, args=(instance, run_id, total, done), daemon=True)
    watcher.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            run_config=LOG_LEVEL,
            raise_on_error=False,
            run_id=run_id,
            tags={"launched_by": "make demo"},
        )
    finally:
        done.set()
        watcher.join()
    materialized = len(result.get_asset_materialization_events())
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    warned = [c for c in failed if c.severity == dg.AssetCheckSeverity.WARN]
    progress(
        f"{materialized} assets, {len(checks)} checks: {len(checks) - len(failed)} passed, "
        f"{len(warned)} warned, {len(failed) - len(warned)} failed"
    )
    print(f"{name}: {time.perf_counter() - started:.0f} s in {sys.executable}, run {run_id}", file=sys.stderr)
    failures = [failure_sentence(e) for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    if failures:
        print(f"\n{name} failed:\n" + "\n".join(failures), file=sys.stderr)
    return 0 if result.success else 1


def failure_sentence(event: dg.DagsterEvent) -> str:
    """What a failed step says about why, in its own words: a dg.Failure's description (the assets raise one
    for every failure a user can cause), else the error's message without the exception's class in front."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    message = data.error.message.strip() if data.error else "failed (see the run's log)"
    return re.sub(r"^([A-Za-z_][\w.]*\.)?[A-Z]\w*(Error|Exception|Failure): ", "", message)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
