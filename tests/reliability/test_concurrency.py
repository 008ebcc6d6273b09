"""An analyst's `dbt build` in a loop, while the ML location reads the marts from another process: the
writer and the reader wait for each other instead of failing, and a read never sees a half-built state."""

import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from reliability_setup import CYCLES

READER = Path(__file__).with_name("reader_loop.py")
PAUSE_BETWEEN_READS = 0.2  # a busy reader, not a saturating one
TIME_BOUND = 600


def test_dbt_builds_and_ml_reads_interleave_without_failures(two_datasets, figures):
    warehouse = two_datasets.warehouse
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(PAUSE_BETWEEN_READS)],
        cwd=READER.parent,
        env=warehouse.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    lines: list[str] = []
    drain = threading.Thread(target=lambda: lines.extend(reader.stdout), daemon=True)  # a full pipe would block it
    drain.start()
    builds = []
    started = time.monotonic()
    try:
        for cycle in range(CYCLES):
            assert time.monotonic() - started < TIME_BOUND, f"only {cycle} cycles in {TIME_BOUND} s"
            two_datasets.use("AB"[cycle % 2])
            began = time.monotonic()
            result = warehouse.dbt("build")
            builds.append({"returncode": result.returncode, "seconds": time.monotonic() - began})
            assert result.returncode == 0, result.stdout[-3000:]
    finally:
        reader.stdin.close()  # ends the reader loop
        reader.wait(timeout=180)
        drain.join(timeout=30)
    reads = [json.loads(line) for line in lines]

    failed_reads = [r for r in reads if not r["ok"]]
    assert not failed_reads, failed_reads[:3]
    seen = [r["state"] for r in reads]
    # dbt holds the file from its first model to its last, so a reader sees one whole build or the other.
    assert all(state in two_datasets.states.values() for state in seen)
    assert len(reads) > CYCLES and len({json.dumps(s, sort_keys=True) for s in seen}) == 2  # both were seen
    longest_wait = max(r["waited"] for r in reads)
    figures["concurrency"] = {
        "builds": len(builds),
        "failed_builds": sum(b["returncode"] != 0 for b in builds),
        "reads": len(reads),
        "failed_reads": len(failed_reads),
        "reads_of_a_half_built_state": sum(state not in two_datasets.states.values() for state in seen),
        "longest_read_wait_seconds": round(longest_wait, 2),
        "median_build_seconds": round(statistics.median(b["seconds"] for b in builds), 2),
        "longest_build_seconds": round(max(b["seconds"] for b in builds), 2),
    }
    print(f"\n{figures['concurrency']}")
