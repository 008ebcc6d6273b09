"""WAREHOUSE_BACKEND=postgres through Dagster, as a deployment runs it: the analytics location's raw_*
assets load the landing files into PostgreSQL, then dagster-dbt builds the models there."""

import subprocess

import psycopg2
import pytest
from support import BIN, REPO_ROOT


@pytest.fixture(scope="module")
def run(new_warehouse, analytics_pg_url, tmp_path_factory):
    warehouse = new_warehouse("dagster_on_postgres")
    warehouse.generate(orders=5_000)
    env = {
        **warehouse.env,
        "WAREHOUSE_BACKEND": "postgres",
        "ANALYTICS_PG_URL": analytics_pg_url,
        "DAGSTER_HOME": str(tmp_path_factory.mktemp("dagster_home")),
        "DBT_PROJECT_DIR": str(REPO_ROOT / "analytics_dbt"),
    }
    result = subprocess.run(
        [str(BIN / "dagster"), "asset", "materialize", "-m", "analytics_location.definitions", "--select", "*"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return warehouse, analytics_pg_url, result


def query(url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_run_loads_the_raw_files_and_builds_the_marts_on_the_server(run):
    _, url, result = run
    assert result.returncode == 0, result.stderr[-4000:]
    loaded = dict(query(url, "select table_name, loaded_rows from raw.landing_files"))
    assert set(loaded) == {"customers", "orders", "products"} and all(loaded.values()), loaded
    [(orders_raw,)] = query(url, "select count(*) from raw.orders")
    [(staged, rejected)] = query(
        url, "select (select count(*) from staging.stg_orders), (select count(*) from quarantine.rejected_orders)"
    )
    assert staged + rejected == orders_raw == loaded["orders"]
    [(customers,)] = query(url, "select count(*) from marts.customer_order_summary")
    assert customers > 0


def test_the_raw_assets_are_the_loads_upstream_of_dbt(run):
    _, _, result = run
    for table in ("customers", "orders", "products"):
        assert f"raw.{table}: " in result.stderr and "rows from" in result.stderr
    assert "ASSET_MATERIALIZATION" in result.stderr


def test_nothing_opened_the_duckdb_warehouse(run):
    """dagster-dbt's row counts and column metadata open the profile's default target: on postgres it
    must be the server, or a stray analytics.duckdb appears in WAREHOUSE_DIR."""
    warehouse, _, result = run
    assert result.returncode == 0
    assert not warehouse.analytics_db.exists()
