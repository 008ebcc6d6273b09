"""One temporary warehouse built on both backends: the same raw files, dbt on DuckDB and on PostgreSQL."""

import subprocess
from concurrent.futures import ThreadPoolExecutor

import duckdb
import psycopg2
from support import Warehouse

from analytics_location.raw_load import load_raw_files

RAW_TABLES = ("customers", "orders", "products")
# What the two backends must agree on, every row and value.
COMPARED = (
    "marts.customer_order_summary",
    "marts.product_performance",
    "marts.customer_monthly_activity",
    "marts.product_monthly_sales",
    "quarantine.rejected_customers",
    "quarantine.rejected_orders",
    "quarantine.rejected_products",
)


class BothBackends:
    """`warehouse` built with WAREHOUSE_BACKEND=duckdb (its analytics.duckdb) and =postgres (the database
    of `pg_url`, the analytics login)."""

    def __init__(self, warehouse: Warehouse, pg_url: str):
        self.warehouse = warehouse
        self.pg_url = pg_url

    def dbt_duckdb(self, *args: str) -> subprocess.CompletedProcess:
        env = {**self.warehouse.env, "WAREHOUSE_BACKEND": "duckdb"}
        return self._dbt(env, "target-duckdb", *args)

    def load_postgres(self):
        return load_raw_files(self.pg_url, RAW_TABLES, self.warehouse.raw)

    def dbt_postgres(self, *args: str) -> subprocess.CompletedProcess:
        env = {**self.warehouse.env, "WAREHOUSE_BACKEND": "postgres", "ANALYTICS_PG_URL": self.pg_url}
        return self._dbt(env, "target-postgres", *args)

    def on_both(self, *args: str) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess, list]:
        """(dbt on DuckDB, dbt on PostgreSQL once the raw files are loaded, what the load did), both at once:
        two processes on two warehouses that share only the raw files, which neither writes."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            duck = pool.submit(self.dbt_duckdb, *args)
            loaded = self.load_postgres()
            pg = self.dbt_postgres(*args)
            return duck.result(), pg, loaded

    def _dbt(self, env: dict, target: str, *args: str) -> subprocess.CompletedProcess:
        command = self.warehouse.dbt_command(*args)
        command[command.index("--target-path") + 1] = str(self.warehouse.root / target)
        env.pop("DBT_TARGET_PATH", None)
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    def duckdb_rows(self, table: str) -> tuple[list[str], list[tuple]]:
        with duckdb.connect(str(self.warehouse.analytics_db), read_only=True) as con:
            result = con.execute(f"select * from {table}")
            return [d[0] for d in result.description], result.fetchall()

    def postgres_rows(self, table: str) -> tuple[list[str], list[tuple]]:
        with psycopg2.connect(self.pg_url) as connection, connection.cursor() as cursor:
            cursor.execute(f"select * from {table}")
            return [d[0] for d in cursor.description], cursor.fetchall()

    def differences(self, table: str) -> str | None:
        """None when `table` holds the same columns and the same rows (as a multiset) on both backends."""
        (duck_columns, duck), (pg_columns, pg) = self.duckdb_rows(table), self.postgres_rows(table)
        if duck_columns != pg_columns:
            return f"{table}: columns {duck_columns} on DuckDB, {pg_columns} on PostgreSQL"
        duck, pg = sorted(duck, key=row_key), sorted(pg, key=row_key)
        if duck == pg:
            return None
        only_duck = [row for row in duck if row not in pg][:3]
        only_pg = [row for row in pg if row not in duck][:3]
        return (
            f"{table}: {len(duck)} rows on DuckDB, {len(pg)} on PostgreSQL; "
            f"only on DuckDB {only_duck}, only on PostgreSQL {only_pg}"
        )


def row_key(row: tuple) -> tuple:
    return tuple((value is None, type(value).__name__, str(value)) for value in row)
