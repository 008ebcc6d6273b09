"""`python -m bench.latency`: how long a new raw file takes to reach new customer_risk_scores under
`dagster dev` (the sensors, automation and run queue of `make ui`), and where the time goes.

On a throwaway Dagster home (with the repo's dagster.yaml) and the warehouse in $WAREHOUSE_DIR (raw files
needed; `make demo` makes them): starts `dagster dev`, waits until automation has built everything once
and no run is left, rewrites the orders landing file (same rows, new file), or with `--batch N` lands one
more daily batch of N order lines in raw/orders/ (the incremental path), then waits for the next
materialization of customer_risk_scores. Prints the latency and, for each run that followed the drop,
when it was created, started and ended (seconds after the drop)."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from datagen.batches import append_batch, landed_batches
from serve.instance import prepare
from warehouse_paths import raw_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCORES = dg.AssetKey("customer_risk_scores")
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest(instance: dg.DagsterInstance, key: dg.AssetKey) -> float:
    event = instance.get_latest_materialization_event(key)
    return 0.0 if event is None else event.timestamp


def wait(condition, timeout: float, what: str, poll: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in {timeout:.0f} s")
        time.sleep(poll)


def redrop(path: Path) -> None:
    """The same rows as a new file, as a source system re-sending its export: new size/mtime, new version."""
    fresh = path.with_name(f".{path.name}.new")
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    options = "(format parquet)" if path.suffix == ".parquet" else "(header true)"
    with duckdb.connect() as con:
        con.execute(f"copy (select * from {reader}('{path}')) to '{fresh}' {options}")
    fresh.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds to wait for each phase")
    parser.add_argument(
        "--by-hand",
        action="store_true",
        help="instead of dropping a file, run `dbt build` by hand in analytics_dbt/, as an analyst would",
    )
    parser.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="land one more daily batch of N order lines in raw/orders/ (made by `python -m datagen --batches K`)",
    )
    args = parser.parse_args(argv)
    orders = next((p for p in (raw_dir() / "orders.parquet", raw_dir() / "orders.csv") if p.exists()), None)
    if args.batch and not landed_batches(raw_dir()):
        folder = raw_dir() / "orders"
        print(f"--batch needs batch files in {folder}/: run `python -m datagen --batches K` first.", file=sys.stderr)
        return 1
    if orders is None and not args.batch:
        print(f"No orders file in {raw_dir()}: run `make demo` (or `make data`) first.", file=sys.stderr)
        return 1
    home = Path(tempfile.mkdtemp(prefix="latency-home-"))
    prepare(home)  # the settings of make ui's instance
    os.environ["DAGSTER_HOME"] = str(home)
    # Create the instance's storage before dagster dev's processes open it all at once (on a new SQLite
    # home, concurrent first opens can race in its schema migration).
    instance = dg.DagsterInstance.get()
    port, log = free_port(), home / "dagster-dev.log"
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = time.monotonic()
        print(f"dagster dev on 127.0.0.1:{port}, log {log}; waiting for the first build by automation", flush=True)
        wait(lambda: latest(instance, SCORES) > 0, args.timeout, "the first build of customer_risk_scores")
        wait(lambda: not instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED)), args.timeout, "quiet")
        what = (
            "dbt build by hand"
            if args.by_hand
            else f"a batch of {args.batch:,} lines landed"
            if args.batch
            else f"{orders.name} dropped"
        )
        print(f"first build done after {time.monotonic() - started:.0f} s; now: {what}", flush=True)
        time.sleep(5)
        before = latest(instance, SCORES)
        dropped = time.time()
        if args.by_hand:
            subprocess.run([str(BIN / "dbt"), "build", "--quiet"], cwd=REPO_ROOT / "analytics_dbt", check=True)
            print(f"dbt build by hand took {time.time() - dropped:.0f} s", flush=True)
        elif args.batch:
            append_batch(raw_dir(), args.batch, seed=int(dropped))
        else:
            redrop(orders)
        wait(lambda: latest(instance, SCORES) > before, args.timeout, "new customer_risk_scores")
        latency = latest(instance, SCORES) - dropped
        print(f"{what} -> new customer_risk_scores: {latency:.0f} s")
        runs = instance.get_run_records(dg.RunsFilter(created_after=datetime.fromtimestamp(dropped, UTC)))
        for record in sorted(runs, key=lambda r: r.create_timestamp.timestamp()):
            created = record.create_timestamp.timestamp() - dropped
            began = (record.start_time or dropped) - dropped
            ended = (record.end_time or dropped) - dropped
            assets = sorted(key.to_user_string() for key in record.dagster_run.asset_selection or [])
            print(
                f"  run {record.dagster_run.run_id[:8]}: created +{created:.0f} s, started +{began:.0f} s, "
                f"ended +{ended:.0f} s, {record.dagster_run.status.value}: {', '.join(assets)[:90]}"
            )
        return 0
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
