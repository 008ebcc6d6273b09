"""`dbt build` killed with SIGKILL at random points: the warehouse still opens, every public mart is a
whole table (as the previous build or the new one left it, never half written), and the next build works."""

import random
import subprocess
import time

import duckdb
from marts import mart_states
from reliability_setup import KILLS, SEED

TIME_BOUND = 900


def test_sigkill_during_dbt_build_loses_nothing(two_datasets, figures):
    warehouse = two_datasets.warehouse
    rng = random.Random(SEED)
    # How many lines a whole build prints: kills are spread over all of them.
    two_datasets.use("A")
    full = warehouse.dbt("build")
    assert full.returncode == 0
    lines_per_build = len(full.stdout.splitlines())

    killed_mid_build = finished_before_kill = 0
    torn_tables = []
    started = time.monotonic()
    for kill in range(KILLS):
        assert time.monotonic() - started < TIME_BOUND, f"only {kill} kills in {TIME_BOUND} s"
        previous = "AB"[kill % 2]
        two_datasets.use("AB"[(kill + 1) % 2])
        build = subprocess.Popen(warehouse.dbt_command("build"), env=warehouse.env, stdout=subprocess.PIPE, text=True)
        for _ in range(rng.randrange(1, lines_per_build)):
            if not build.stdout.readline():
                break
        time.sleep(rng.uniform(0, 0.3))
        if build.poll() is None:
            build.kill()
            killed_mid_build += 1
        else:
            finished_before_kill += 1
        build.wait()
        build.stdout.close()

        with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
            states = mart_states(con)
        for mart, state in states.items():
            if state not in (two_datasets.states["A"][mart], two_datasets.states["B"][mart]):
                torn_tables.append((kill, previous, mart, state))

    assert not torn_tables
    assert killed_mid_build >= KILLS * 3 // 4  # most kills landed inside a build, not after it

    recovery = warehouse.dbt("build")
    assert recovery.returncode == 0, recovery.stdout[-3000:]
    final = "AB"[KILLS % 2]
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        assert mart_states(con) == two_datasets.states[final]
        leftovers = con.execute(
            "select table_name from duckdb_tables() where table_name like '%__dbt_tmp' "
            "or table_name like '%__dbt_backup'"
        ).fetchall()
    assert not leftovers
    figures["crashes"] = {
        "kills": KILLS,
        "killed_mid_build": killed_mid_build,
        "finished_before_the_kill": finished_before_kill,
        "mart_checks_after_a_kill": KILLS * len(two_datasets.states["A"]),
        "torn_or_missing_tables": len(torn_tables),
        "recovery_build_succeeded": True,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\n{figures['crashes']}")
