"""A build killed midway (SIGKILL, after checked_orders replaced the changed orders, before the marts) leaves
the ledger of the last complete build as it was; the next plain `dbt build` resumes from it: incremental,
reading only the batches that changed since that build, and equal to a full refresh, every table.

What it read is shown with a batch it must not read: its file is rewritten with one quantity changed and the
same size and modification time (its fingerprint), so only a build that read it would hold the new value."""

import os
import random
import signal
import subprocess
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from batch_landing import orders, rows
from support import BIN, DBT_PROJECT_DIR

from datagen.generate import SCHEMAS


def start_build(warehouse) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "dbt"),
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--threads",
            "1",
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(warehouse / "target"), "--log-path", str(warehouse / "logs")),
        ],
        env={**os.environ, "WAREHOUSE_DIR": str(warehouse)},
        stdout=subprocess.PIPE,
        text=True,
    )


def kill_build_after(warehouse, node: str) -> None:
    """A plain `dbt build` of `warehouse`, killed with SIGKILL as soon as it reports `node` built."""
    build = start_build(warehouse)
    for output in build.stdout:
        if node in output and " OK " in output:
            os.kill(build.pid, signal.SIGKILL)
            break
    build.wait()
    assert build.returncode == -signal.SIGKILL, "the build ended before it could be killed midway"


def write_plainly(path, lines: list[dict]) -> None:
    """`lines` as the Parquet file `path`, with values stored plainly: a changed integer keeps the file's size."""
    pq.write_table(
        pa.Table.from_pylist(lines, schema=SCHEMAS["orders"]),
        path,
        compression="none",
        use_dictionary=False,
        write_statistics=False,
    )


def write_in_place(path, lines: list[dict]) -> None:
    """`lines` written plainly over `path`, keeping its size and modification time: to dbt, the same batch."""
    stat = path.stat()
    write_plainly(path, lines)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


def test_a_build_killed_midway_is_resumed_by_the_next_one_from_the_last_complete_build(pair):
    landing, rng = pair.landing, random.Random(41)
    for day in range(1, 7):
        landing.write("orders", orders(rng, day * 1000, 200, date(2025, 1, day * 4)), f"2025-01-{day * 4:02d}.parquet")
    untouched = landing.batches / "2025-01-04.parquet"
    original = landing.read("orders", untouched.name)
    write_plainly(untouched, original)
    pair.check(expect_mode="full")

    # A new batch, and a re-delivery of batch 2 with its lines moved to other customers and months.
    landing.write("orders", orders(rng, 9000, 200, date(2025, 2, 1)), "2025-02-01.parquet")
    redelivered = [
        {**line, "customer_id": line["customer_id"] % 20 + 1, "order_date": date(2025, 3, 1)}
        for line in landing.read("orders", "2025-01-08.parquet")
    ]
    landing.write("orders", redelivered, "2025-01-08.parquet")
    changed = {"2025-02-01.parquet", "2025-01-08.parquet"}
    tampered = [{**original[0], "quantity": original[0]["quantity"] + 1}, *original[1:]]
    write_in_place(untouched, tampered)

    kill_build_after(pair.inc, "intermediate.checked_orders")
    # checked_orders holds the new lines already; the marts and the ledger do not.
    assert rows(pair.inc, "select count(*) from intermediate.checked_orders where order_id >= 9000")[0][0] > 0
    assert pair.state()[1] is False

    # The next plain build: incremental, from the two batches changed since the last complete build.
    resumed = pair.build()
    assert resumed.success, resumed.message
    assert pair.state() == ("incremental", True)
    assert {batch for (batch,) in rows(pair.inc, "select batch from intermediate.order_batch_changes")} == changed
    # It did not read the untouched batch: its lines are as the first build read them.
    first = original[0]
    assert rows(
        pair.inc,
        f"select quantity from intermediate.typed_orders where batch = '{untouched.name}' "
        f"and order_id = {first['order_id']} and product_id = {first['product_id']}",
    ) == [(first["quantity"],)]

    # With the batch as it was, every table equals a full refresh's.
    write_in_place(untouched, original)
    pair.check()


def test_what_a_killed_build_began_is_undone_when_the_files_change_back(pair):
    """A build killed after its first mart has put a re-delivered batch and a tier change into checked_orders and
    that mart; then both go back (the batch re-delivered with its first lines, the tier as it was). The next
    build compares with the last complete build, which saw neither change, and still undoes them."""
    landing, rng = pair.landing, random.Random(43)
    for day in range(1, 5):
        landing.write("orders", orders(rng, day * 1000, 100, date(2025, 1, day * 4)), f"2025-01-{day * 4:02d}.parquet")
    pair.check(expect_mode="full")
    first_lines, first_customers = landing.read("orders", "2025-01-08.parquet"), landing.read("customers")

    moved = [
        {**line, "customer_id": line["customer_id"] % 20 + 1, "order_date": date(2025, 3, 1)} for line in first_lines
    ]
    landing.write("orders", moved, "2025-01-08.parquet")
    landing.write("customers", [{**c, "tier": "premium" if c["tier"] == "basic" else "basic"} for c in first_customers])
    kill_build_after(pair.inc, " marts.")
    assert pair.state()[1] is False

    landing.write("orders", first_lines, "2025-01-08.parquet")  # a new fingerprint, the first content
    landing.write("customers", first_customers)
    pair.check()
