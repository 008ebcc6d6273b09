"""Housekeeping around Dagster's dbt builds: old per-run folders of analytics_dbt/target/ are removed, and
a build that finds the warehouse held by another process says so, naming that process, and waits."""

import os
import subprocess
import sys
import time

import duckdb
import pytest

from analytics_location.target_folders import remove_old_run_folders
from analytics_location.warehouse_lock import lock_holder, wait_until_free

pytestmark = pytest.mark.unit


def test_only_the_most_recently_active_run_folders_are_kept(tmp_path):
    folders = [tmp_path / f"analytics_dbt_models-run{i}-abcdef{i}" for i in range(8)]
    for age, folder in enumerate(reversed(folders)):  # folders[0] is the oldest, 9 hours ago
        (folder / "compiled").mkdir(parents=True)
        (folder / "dbt.log").write_text("log")
        for path in (folder / "dbt.log", folder):
            os.utime(path, (time.time() - 3600 * (age + 2),) * 2)
    # What is not a Dagster run's folder stays: an analyst's artifacts, dbt docs, another op's runs.
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "run_results.json").write_text("{}")
    (tmp_path / "other_op-run1-abcdef1").mkdir()

    removed = remove_old_run_folders(tmp_path, "analytics_dbt_models", keep=5)

    assert sorted(removed) == sorted(folders[:3])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f.name for f in folders[3:]] + ["manifest.json", "run_results.json", "other_op-run1-abcdef1"]
    )


def test_a_run_still_in_progress_keeps_its_folder_beside_newer_ones(tmp_path):
    """A long build started first, whose folder's own mtime is old, still writing its dbt.log, while five
    shorter runs started and ended beside it: its folder is not removed from under it."""
    now = time.time()
    long_run = tmp_path / "analytics_dbt_models-long-abcdef0"
    (long_run / "compiled").mkdir(parents=True)
    (long_run / "dbt.log").write_text("still logging")
    os.utime(long_run / "dbt.log", (now - 120,) * 2)  # its last line, two minutes ago
    os.utime(long_run, (now - 7200,) * 2)  # started two hours ago
    for i in range(5):
        short = tmp_path / f"analytics_dbt_models-short{i}-abcdef{i}"
        short.mkdir()
        os.utime(short, (now - 60 + i,) * 2)
    assert remove_old_run_folders(tmp_path, "analytics_dbt_models", keep=5) == []
    # An hour after its last line it is an old run like any other.
    assert remove_old_run_folders(tmp_path, "analytics_dbt_models", keep=5, now=now + 3600) == [long_run]


HOLD = (
    "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); "
    "time.sleep(float(sys.argv[2]))"
)


def test_a_free_or_missing_warehouse_has_no_holder(tmp_path):
    database = tmp_path / "analytics.duckdb"
    assert lock_holder(database) is None
    duckdb.connect(str(database)).close()
    assert lock_holder(database) is None


def test_a_build_waits_for_the_process_holding_the_warehouse_and_names_it(tmp_path):
    database = tmp_path / "analytics.duckdb"
    duckdb.connect(str(database)).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert f"(PID {holder.pid})" in (lock_holder(database) or "")
        said = []
        waited = wait_until_free(database, said.append, poll_seconds=0.2)
    finally:
        holder.kill()
        holder.wait()
    assert waited > 0.5
    assert "is held by" in said[0] and f"(PID {holder.pid})" in said[0] and "waiting" in said[0]
    assert said[-1].startswith(f"{database} is free after")
