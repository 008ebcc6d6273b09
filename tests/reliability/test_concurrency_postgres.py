"""On a PostgreSQL warehouse: the raw load and `dbt build` in a loop (the analytics login) while the ML reader
reads the marts from another process (the ML login): 0 failed builds, 0 failed reads, each mart always one
whole build's table, and reads that do not wait for builds (MVCC). The same reader loop and consistency
check as on DuckDB (reader_loop.py, marts.py), on the same two datasets. All four marts of a read come
from one build: dbt builds them in marts_build and publishes them together (macros/publish_marts.sql)."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pg_logins import new_pg_warehouse
from reliability_setup import CYCLES, TwoDatasets

from analytics_location.raw_load import load_raw_files
from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.upstream import PUBLIC_MODELS

READER = Path(__file__).with_name("reader_loop.py")
PAUSE_BETWEEN_READS = 0.2
TIME_BOUND = 900
RAW_TABLES = ("customers", "orders", "products")


class OnServer:
    """TwoDatasets' two raw datasets, built on the server: `build(name)` loads one and runs `dbt build`;
    `states` holds what the ML reader sees of the marts after a whole build of each."""

    def __init__(self, datasets: TwoDatasets, admin_url: str):
        self.datasets = datasets
        self.pg = new_pg_warehouse(admin_url, "reliability_pg")
        self.warehouse = datasets.warehouse
        self.env = {**self.warehouse.env, **self.pg.env}
        reader = AnalyticsWarehouse(warehouse_dir=str(self.warehouse.root), postgres_url=self.pg.ml_url)
        from marts import mart_states

        self.states = {}
        for name in ("A", "B"):
            result = self.build(name)
            assert result.returncode == 0, result.stdout[-3000:]
            with reader.views(*PUBLIC_MODELS) as con:
                self.states[name] = mart_states(con, None)
        assert all(self.states["A"][m] != self.states["B"][m] for m in self.states["A"])

    def build(self, name: str) -> subprocess.CompletedProcess:
        self.datasets.use(name)
        load_raw_files(self.pg.analytics_url, RAW_TABLES, self.warehouse.raw)
        command = self.warehouse.dbt_command("build")
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def on_server(two_datasets, postgres_admin_url) -> OnServer:
    return OnServer(two_datasets, postgres_admin_url)


@pytest.fixture(scope="module")
def raced(on_server, figures):
    """CYCLES loads and builds while the reader reads; the builds, the reads, and the figures."""
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(PAUSE_BETWEEN_READS)],
        cwd=READER.parent,
        env={**os.environ, **on_server.env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    lines: list[str] = []
    drain = threading.Thread(target=lambda: lines.extend(reader.stdout), daemon=True)
    drain.start()
    builds = []
    started = time.monotonic()
    try:
        for cycle in range(CYCLES):
            assert time.monotonic() - started < TIME_BOUND, f"only {cycle} cycles in {TIME_BOUND} s"
            began = time.monotonic()
            result = on_server.build("AB"[cycle % 2])
            builds.append({"returncode": result.returncode, "seconds": time.monotonic() - began})
            assert result.returncode == 0, result.stdout[-3000:]
    finally:
        reader.stdin.close()
        reader.wait(timeout=180)
        drain.join(timeout=30)
    reads = [json.loads(line) for line in lines]
    whole = list(on_server.states.values())
    seen = [r["state"] for r in reads if r["ok"]]
    read_seconds = [r["waited"] for r in reads if r["ok"]]
    figures["concurrency_postgres"] = {
        "builds": len(builds),
        "failed_builds": sum(b["returncode"] != 0 for b in builds),
        "reads": len(reads),
        "failed_reads": sum(not r["ok"] for r in reads),
        "reads_with_a_torn_mart": sum(any(s[m] not in [w[m] for w in whole] for m in s) for s in seen),
        "reads_mixing_two_builds": sum(state not in whole for state in seen),
        "longest_read_seconds_wait_included": round(max(read_seconds), 2),
        "median_read_seconds": round(statistics.median(read_seconds), 3),
        "median_load_and_build_seconds": round(statistics.median(b["seconds"] for b in builds), 2),
        "longest_load_and_build_seconds": round(max(b["seconds"] for b in builds), 2),
    }
    print(f"\n{figures['concurrency_postgres']}")
    return builds, reads, whole


def test_builds_and_reads_on_the_server_all_succeed_and_reads_do_not_wait(raced):
    builds, reads, whole = raced
    assert all(b["returncode"] == 0 for b in builds)
    assert not [r for r in reads if not r["ok"]], [r for r in reads if not r["ok"]][:3]
    seen = [r["state"] for r in reads]
    assert len(reads) > CYCLES and len({json.dumps(s, sort_keys=True) for s in seen}) >= 2  # both were seen
    # Each mart, on its own, is always one whole build's table: never half written.
    assert all(state[m] in [w[m] for w in whole] for state in seen for m in state)
    # A read that waited for a build would take about a build's time; reads stay far below it.
    assert max(r["waited"] for r in reads) < statistics.median(b["seconds"] for b in builds) / 2


def test_every_read_sees_the_four_marts_of_one_whole_build(raced):
    _, reads, whole = raced
    assert all(r["state"] in whole for r in reads)
