"""dagster-dbt gives every dbt invocation its own folder in analytics_dbt/target/ (`<op>-<run id>-<uuid>`,
a few MB each: manifest, run results, compiled SQL, dbt.log). Only the recent ones are worth keeping (the
UI's failure messages point at their dbt.log); older ones are removed after each build."""

import shutil
import time
from pathlib import Path

KEEP_RUN_FOLDERS = 5
# A folder whose dbt was active this recently may belong to a run still in progress (runs of the same
# project go on side by side, up to the instance's max_concurrent_runs): it is never removed.
IN_PROGRESS_SECONDS = 3600


def last_active(folder: Path) -> float:
    """When dbt last wrote in the folder: its dbt.log grows with every node, while the folder's own mtime
    changes only when an entry is added at its top."""
    log = folder / "dbt.log"
    return max(folder.stat().st_mtime, log.stat().st_mtime if log.exists() else 0.0)


def remove_old_run_folders(
    target_dir: Path, op_name: str, keep: int = KEEP_RUN_FOLDERS, now: float | None = None
) -> list[Path]:
    """Remove the `<op_name>-*` folders of `target_dir` beyond the `keep` most recently active ones, unless
    active within IN_PROGRESS_SECONDS; returns the removed ones. Anything else in target/ (an analyst's
    manifest and run results, dbt docs) is left alone."""
    now = time.time() if now is None else now
    folders = sorted((path for path in target_dir.glob(f"{op_name}-*") if path.is_dir()), key=last_active, reverse=True)
    removed = [old for old in folders[keep:] if now - last_active(old) > IN_PROGRESS_SECONDS]
    for old in removed:
        shutil.rmtree(old, ignore_errors=True)  # another run's cleanup may be removing it too
    return removed
