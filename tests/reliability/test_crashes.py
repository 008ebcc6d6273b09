"""`dbt build` killed with SIGKILL at random points: the warehouse still opens, the public marts are, all
together, what one whole build left (the previous build or the new one: never half written, and never some
marts from one build and the rest from another), and the next build works."""

import random
import subprocess
import time

import duckdb
from marts import mart_states
from reliability_setup import KILLS, SEED

TIME_BOUND = 900


def built_from(states: dict, whole_builds: dict) -> dict:
    """For a failure message: which dataset's whole build each mart matches (None: neither, torn)."""
    return {
        mart: next((name for name, whole in whole_builds.items() if whole[mart] == state), None)
        for mart, state in states.items()
    }


def test_sigkill_during_dbt_build_loses_nothing(two_datasets, figures):
    warehouse = two_datasets.warehouse
    rng = random.Random(SEED)
    # How many lines a whole build prints: kills are spread over all of them.
    two_datasets.use("A")
    full = warehouse.dbt("build")
    assert full.returncode == 0
    lines_per_build = len(full.stdout.splitlines())

    killed_mid_build = finished_before_kill = 0
    torn_states = []
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
        # The two datasets differ in every mart, so comparing all marts at once with one whole build's
        # states catches a mart torn inside itself and marts left by two different builds alike.
        if states not in (two_datasets.states["A"], two_datasets.states["B"]):
            torn_states.append((kill, previous, built_from(states, two_datasets.states)))

    assert not torn_states, torn_states[:3]
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
        "mart_states_checked_after_a_kill": KILLS,
        "states_not_from_one_whole_build": len(torn_states),
        "recovery_build_succeeded": True,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\n{figures['crashes']}")
