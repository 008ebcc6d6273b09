"""The optional raw column line_number on PostgreSQL: `make load-raw` loads it (null, with has_line_number
false, for a file without it), and dbt stages and quarantines exactly the lines it does on DuckDB
(tests/analytics/test_line_numbers.py, whose files these are)."""

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from pg_warehouse import COMPARED, BothBackends
from support import DBT_PROJECT_DIR

sys.path.insert(0, str(Path(__file__).parents[1] / "analytics"))
from test_line_numbers import (
    CUSTOMERS,
    PRODUCTS,
    PRODUCTS_SQL,
    REJECTED_SQL,
    STAGED_SQL,
    expected_products,
    expected_rejected,
    expected_staged,
    land,
    ordered,
)


def load_raw(warehouse, pg_url: str) -> subprocess.CompletedProcess:
    """What `make load-raw` runs, on this warehouse and database."""
    env = {
        **warehouse.env,
        "WAREHOUSE_BACKEND": "postgres",
        "ANALYTICS_PG_URL": pg_url,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
    }
    env.pop("DBT_TARGET_PATH", None)
    return subprocess.run(
        [sys.executable, "-m", "analytics_location.raw_load"], env=env, capture_output=True, text=True, check=False
    )


def pg_rows(pg_url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(pg_url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.mark.parametrize("layout", ["parquet", "batches"])
def test_line_numbers_load_and_build_as_on_duckdb(warehouse, analytics_pg_url, layout):
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    lines = land(warehouse.raw, layout)
    loaded = load_raw(warehouse, analytics_pg_url)
    assert loaded.returncode == 0, loaded.stderr[-3000:]

    has = dict(pg_rows(analytics_pg_url, "select batch, bool_and(has_line_number) from raw.orders group by batch"))
    expected_has = {
        "parquet": {"orders.parquet": True},
        "batches": {"2024-03-01.csv": True, "2024-04-01.parquet": True, "2024-04-02.parquet": False},
    }
    assert has == expected_has[layout]
    # A file without the column gives null, never a value; a typed Parquet int64 is loaded as its text.
    assert pg_rows(
        analytics_pg_url, "select count(*) from raw.orders where not has_line_number and line_number is not null"
    ) == [(0,)]

    both = BothBackends(warehouse, analytics_pg_url)
    duck = both.dbt_duckdb("build", "--vars", "{max_rejected_share: 1}")
    pg = both.dbt_postgres("build", "--vars", "{max_rejected_share: 1}")
    assert duck.returncode == 0, duck.stdout[-3000:]
    assert pg.returncode == 0, pg.stdout[-3000:]

    assert ordered(pg_rows(analytics_pg_url, STAGED_SQL)) == expected_staged(lines)
    assert ordered(pg_rows(analytics_pg_url, REJECTED_SQL)) == expected_rejected(lines)
    products = [(p, n, u, float(r)) for p, n, u, r in pg_rows(analytics_pg_url, PRODUCTS_SQL)]
    assert products == expected_products(lines)
    assert [both.differences(table) for table in (*COMPARED, "staging.stg_orders")] == [None] * (len(COMPARED) + 1)


def test_a_raw_orders_table_of_an_older_loader_is_replaced(warehouse, analytics_pg_url):
    """raw.orders loaded before line_number was in the contract lacks the column: the next load makes it anew."""
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    land(warehouse.raw, "batches")
    assert load_raw(warehouse, analytics_pg_url).returncode == 0
    with psycopg2.connect(analytics_pg_url) as connection, connection.cursor() as cursor:
        cursor.execute("alter table raw.orders drop column line_number, drop column has_line_number")
    loaded = load_raw(warehouse, analytics_pg_url)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    # 9 of the CSV batch's 10 lines and both of the typed Parquet batch's have a line number.
    assert pg_rows(analytics_pg_url, "select count(*) from raw.orders where line_number is not null") == [(11,)]
