"""A landing folder of order batches driven by tests, and the comparison that the daily-batch tests rest
on: after each operation, a plain (incremental) `dbt build` of the warehouse must give exactly the tables a
`dbt build --full-refresh` of the same files gives, compared row by row.

dbt runs in this process on a manifest parsed once (tests/fuzz/dbt_in_process.py's approach): a build of
a few thousand rows costs less than a dbt process start."""

import functools
import os
import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner
from support import DBT_PROJECT_DIR

from analytics_location.dbt_duckdb_handle import close_process_environment
from datagen.generate import SCHEMAS

# Every table a build writes, by schema: the comparison covers all of them.
BUILT_TABLES = (
    "intermediate.typed_orders",
    "intermediate.checked_orders",
    "intermediate.checked_customers",
    "intermediate.checked_products",
    "staging.stg_orders",
    "staging.stg_customers",
    "staging.stg_products",
    "quarantine.rejected_orders",
    "quarantine.rejected_customers",
    "quarantine.rejected_products",
    "marts.customer_order_summary",
    "marts.product_performance",
    "marts.customer_monthly_activity",
    "marts.product_monthly_sales",
)


def dbt_args(command: str, root: Path) -> list[str]:
    return [
        command,
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
        *("--target-path", str(root / "target"), "--log-path", str(root / "logs")),
    ]


@functools.cache
def manifest():
    artifacts = Path(tempfile.mkdtemp(prefix="batches-dbt-"))
    result = dbtRunner().invoke([*dbt_args("parse", artifacts), "--quiet"])
    assert result.success, result.exception
    return result.result


def dbt_build(warehouse: Path, *args: str, command: str = "build"):
    """`dbt build` on `warehouse`, in this process (unit tests left out: they read no raw file). Then the
    DuckDB file dbt-duckdb keeps open in the process is closed, so the test can read it."""
    previous = os.environ.get("WAREHOUSE_DIR")
    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    try:
        excluded = ["--exclude-resource-type", "unit_test"] if command == "build" else []
        return dbtRunner(manifest=manifest()).invoke([*dbt_args(command, warehouse), *excluded, "--quiet", *args])
    finally:
        close_process_environment(DuckDBConnectionManager)
        if previous is None:
            del os.environ["WAREHOUSE_DIR"]
        else:
            os.environ["WAREHOUSE_DIR"] = previous


def state(warehouse: Path) -> tuple[str, bool]:
    """(mode of the last build, whether it completed). Mode: how dbt last built typed_orders, "incremental"
    (replace_keys: delete and insert) or "full" (create table), from the SQL it ran. Complete: the ledger of
    the last complete build holds the batches landed now, with their fingerprints."""
    ran = (warehouse / "target" / "run" / "analytics" / "models" / "intermediate" / "typed_orders.sql").read_text()
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as con:
        ledger = con.execute("select batch, fingerprint from ledger.built_order_batches order by 1").fetchall()
        landed = con.execute("select distinct batch, batch_fingerprint from raw.orders order by 1").fetchall()
    return ("incremental" if "delete from" in ran.lower() else "full"), ledger == landed


def differences(incremental: Path, full: Path) -> dict[str, tuple[int, int]]:
    """Per table that differs: (rows only in the incremental build's, rows only in the full refresh's)."""
    found = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental / 'analytics.duckdb'}' as inc (read_only)")
        con.execute(f"attach '{full / 'analytics.duckdb'}' as ful (read_only)")
        for table in BUILT_TABLES:
            only_inc = con.execute(f"select count(*) from (from inc.{table} except all from ful.{table})").fetchone()[0]
            only_full = con.execute(f"select count(*) from (from ful.{table} except all from inc.{table})").fetchone()[
                0
            ]
            if only_inc or only_full:
                found[table] = (only_inc, only_full)
    return found


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


class Landing:
    """The raw folder of a test warehouse: customers and products snapshots, orders as batch files."""

    def __init__(self, raw: Path):
        self.raw = raw
        self.batches = raw / "orders"
        self.batches.mkdir(parents=True, exist_ok=True)

    def write(self, table: str, rows: list[dict], name: str | None = None) -> Path:
        """Writes rows as Parquet with the contract's types: `orders` as the batch `name`, other tables
        as their snapshot file (replacing it)."""
        path = self.batches / name if table == "orders" else self.raw / f"{table}.parquet"
        data = pa.Table.from_pylist(rows, schema=SCHEMAS[table])
        tmp = path.with_suffix(".tmp")
        pq.write_table(data, tmp)
        tmp.replace(path)  # a delivery appears whole, as a source system's rename would
        return path

    def read(self, table: str, name: str | None = None) -> list[dict]:
        path = self.batches / name if table == "orders" else self.raw / f"{table}.parquet"
        return pq.read_table(path).to_pylist()

    def batch_names(self) -> list[str]:
        return sorted(p.name for p in self.batches.iterdir())


# The shop of the daily-batch tests: 20 customers, 10 products, orders written line by line.
CUSTOMERS = [
    {
        "customer_id": i,
        "name": f"Customer {i}",
        "email": f"c{i}@example.com",
        "signup_date": date(2024, 1, 1),
        "tier": "basic",
    }
    for i in range(1, 21)
]
PRODUCTS = [
    {
        "product_id": p,
        "product": f"Product {p}",
        "category": "home",
        "cost": 1.0 + p,
        "retail_price": 3.0 + p,
        "supplier": "Acme",
    }
    for p in range(10, 20)
]


def line(order_id, customer_id, product_id, quantity=1, price=5.0, order_date=date(2025, 1, 15)) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "product_id": product_id,
        "quantity": quantity,
        "price": price,
        "order_date": order_date,
    }


def orders(rng: random.Random, first_id: int, count: int, start: date, days: int = 20) -> list[dict]:
    """`count` orders of 1 to 3 lines (distinct products), on days from `start`."""
    lines = []
    for order_id in range(first_id, first_id + count):
        customer = rng.randint(1, 20)
        day = start + timedelta(days=rng.randrange(days))
        for product in rng.sample(range(10, 20), rng.randint(1, 3)):
            lines.append(line(order_id, customer, product, rng.randint(1, 4), round(rng.uniform(1, 50), 2), day))
    return lines


@dataclass
class Built:
    """What a dbt invocation did, on either backend: whether it succeeded, the error dbt printed, and the
    status of each node (by name); failed_tests names each failed test by its kind (test_metadata.name)."""

    success: bool
    message: str
    statuses: dict[str, str]
    failed_tests: list[str]

    @classmethod
    def from_runner(cls, result) -> "Built":
        nodes = result.result or []
        return cls(
            result.success,
            str(result.exception or [r.message for r in nodes if r.status in ("error", "fail")]),
            {r.node.name: r.status for r in nodes},
            [r.node.test_metadata.name for r in nodes if r.status == "fail" and r.node.test_metadata],
        )


class Pair:
    """Two warehouses on one landing folder: `inc` is built as analysts and Dagster build it (plain
    `dbt build`), `full` with --full-refresh every time. DuckDB here; PgPair (tests/postgres) on PostgreSQL."""

    def __init__(self, root):
        self.inc, self.full = root / "inc", root / "full"
        self.inc.mkdir()
        self.full.mkdir()
        self.landing = Landing(self.inc / "raw")
        (self.full / "raw").symlink_to(self.inc / "raw")

    def build(self, *args: str, command: str = "build", full: bool = False) -> Built:
        return Built.from_runner(dbt_build(self.full if full else self.inc, *args, command=command))

    def rows(self, sql: str) -> list[tuple]:
        return rows(self.inc, sql)

    def state(self) -> tuple[str, bool]:
        return state(self.inc)

    def differences(self) -> dict[str, tuple[int, int]]:
        return differences(self.inc, self.full)

    def build_and_reference(self) -> tuple[Built, Built]:
        """The incremental build of `inc` and the full refresh of `full`. The reference needs the tables only:
        `dbt run` writes the same ones as `dbt build`, without the tests. One after the other here: dbtRunner
        runs in this process, whose environment names the warehouse."""
        return self.build(), self.build("--full-refresh", command="run", full=True)

    def check(self, expect_mode: str = "incremental") -> None:
        built, reference = self.build_and_reference()
        assert built.success, built.message
        assert self.state() == (expect_mode, True)
        assert reference.success, reference.message
        assert self.differences() == {}
