"""An analyst's `dbt build` that finds the warehouse held by another process (a Dagster build, a notebook)
says that it waits and for whom, before dbt-duckdb's silent retries, and builds once the file is free
(profiles.yml `plugins:`, analytics_location/dbt_duckdb_lock_plugin.py)."""

import subprocess
import sys

import duckdb

HOLD = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); time.sleep(120)"


def test_a_build_that_finds_the_warehouse_held_names_the_holder_waits_and_builds(warehouse):
    warehouse.generate(orders=2_000, seed=5)
    duckdb.connect(str(warehouse.analytics_db)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse.analytics_db)], stdout=subprocess.PIPE, text=True
    )
    output = []
    try:
        assert holder.stdout.readline().strip() == "holding"
        build = subprocess.Popen(
            warehouse.dbt_command("build", "--select", "+stg_products"),
            env=warehouse.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in build.stdout:
            output.append(line)
            if "is held by" in line:
                holder.kill()  # the other process finishes while the build waits
        assert build.wait(timeout=300) == 0, "".join(output)[-3000:]
    finally:
        holder.kill()
    said = next(line for line in output if "is held by" in line)
    assert str(warehouse.analytics_db) in said and f"(PID {holder.pid})" in said and "waits" in said, said
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_products").fetchone()[0] > 0


def test_a_build_on_a_free_warehouse_says_nothing_about_waiting(warehouse):
    warehouse.generate(orders=2_000, seed=5)
    result = warehouse.dbt("build", "--select", "+stg_products")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "is held by" not in result.stdout
