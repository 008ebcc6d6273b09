"""A landing folder of order batches driven by tests, and the comparison that the daily-batch tests rest
on: after each operation, a plain (incremental) `dbt build` of the warehouse must give exactly the tables a
`dbt build --full-refresh` of the same files gives, compared row by row.

dbt runs in this process on a manifest parsed once (tests/fuzz/dbt_in_process.py's approach): a build of
a few thousand rows costs less than a dbt process start."""

import functools
import os
import tempfile
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
    """(mode of the last build, whether it completed), from build_state.status."""
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as con:
        return con.execute("select mode, complete from build_state.status").fetchone()


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
