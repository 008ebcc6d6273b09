"""dagster-dbt gives every dbt invocation its own folder in analytics_dbt/target/ (`<op>-<run id>-<uuid>`,
a few MB each: manifest, run results, compiled SQL, dbt.log). Only the recent ones are worth keeping (the
UI's failure messages point at their dbt.log); older ones are removed after each build."""

import shutil
from pathlib import Path

KEEP_RUN_FOLDERS = 5


def remove_old_run_folders(target_dir: Path, op_name: str, keep: int = KEEP_RUN_FOLDERS) -> list[Path]:
    """Remove all but the `keep` newest `<op_name>-*` folders of `target_dir`; returns the removed ones.
    Anything else in target/ (an analyst's manifest and run results, dbt docs) is left alone."""
    folders = sorted(
        (path for path in target_dir.glob(f"{op_name}-*") if path.is_dir()),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)  # another run's cleanup may be removing it too
    return folders[keep:]
