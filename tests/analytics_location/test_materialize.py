"""Materializing the analytics location into a temporary warehouse: raw files -> staging -> marts, with
checks, metadata, and no lock left on the warehouse afterwards."""

import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from support import materialize, step_failure

from analytics_location.definitions import defs

SUMMARY = dg.AssetKey("customer_order_summary")


@pytest.fixture(scope="module")
def run(new_warehouse):
    warehouse = new_warehouse("materialized")
    warehouse.generate(orders=20_000, bad_rate=0)
    # One bad order, so the quarantine warns for orders and only for orders.
    orders = warehouse.raw / "orders.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (from '{orders}' union all (select * replace (0 as quantity) from '{orders}' limit 1)) "
            f"to '{warehouse.raw / 'orders.next.parquet'}' (format parquet)"
        )
    (warehouse.raw / "orders.next.parquet").replace(orders)
    with warehouse.active():
        result = materialize(defs)
    return warehouse, result


def test_everything_materializes_and_the_marts_exist(run):
    warehouse, result = run
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {SUMMARY, dg.AssetKey("product_performance"), dg.AssetKey("stg_orders")} <= materialized
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        [(rows,)] = con.execute("select count(*) from marts.customer_order_summary").fetchall()
    assert rows > 0


def test_raw_files_are_observed_with_a_data_version(run):
    _, result = run
    observed = {
        event.asset_key: event.asset_observation_data.asset_observation.tags["dagster/data_version"]
        for event in result.get_asset_observation_events()
    }
    assert set(observed) == {dg.AssetKey(f"raw_{t}") for t in ("customers", "products", "orders")}
    assert all(version != "missing" for version in observed.values())


def test_blocking_checks_pass_and_warnings_only_report_the_quarantine(run):
    _, result = run
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(defs.resolve_asset_graph().asset_check_keys)
    failed = [e for e in evaluations if not e.passed]
    assert {e.asset_key for e in failed} == {dg.AssetKey("rejected_orders")}
    assert all(e.check_name.startswith("no_rejected_rows_") for e in failed)
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in evaluations if not e.passed)


def test_materializations_carry_row_counts_and_column_schema(run):
    warehouse, result = run
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == SUMMARY]
    metadata = event.materialization.metadata
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        [(rows,)] = con.execute("select count(*) from marts.customer_order_summary").fetchall()
    assert metadata["dagster/row_count"].value == rows
    columns = [c.name for c in metadata["dagster/column_schema"].value.columns]
    assert columns[:3] == ["customer_id", "name", "tier"]
    assert "dagster/column_lineage" in metadata


def test_no_lock_is_left_on_the_warehouse(run):
    """A writer in another process (an analyst's dbt build) can open the file right after the run."""
    warehouse, _ = run
    script = f"import duckdb; duckdb.connect({str(warehouse.analytics_db)!r}).close()"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_file_that_fails_a_blocking_check_stops_the_marts(warehouse):
    summary = warehouse.generate(orders=2_000)
    # Half the orders point at products the catalogue does not have: a wrong export, not a few bad rows.
    orders = warehouse.raw / "orders.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (case when order_id % 2 = 0 then product_id + 100000 "
            f"else product_id end as product_id) from '{orders}') to '{warehouse.raw}/orders.csv'"
        )
    orders.unlink()
    assert summary.rows["orders"] == 2_000

    result = materialize(defs, raise_on_error=False)

    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    [share] = [e for name, e in evaluations.items() if name.startswith("rejected_share_at_most_stg_orders")]
    assert not share.passed and share.severity == dg.AssetCheckSeverity.ERROR
    assert SUMMARY not in {e.asset_key for e in result.get_asset_materialization_events()}
    assert "check rejected_share_at_most_stg_orders" in step_failure(result)
    assert "Not built, so that nothing downstream uses data that failed: customer_monthly_activity" in step_failure(
        result
    )


def test_an_unusable_raw_file_fails_the_run_naming_it(warehouse):
    warehouse.generate(orders=2_000)
    (warehouse.raw / "customers.parquet").unlink()

    result = materialize(defs, raise_on_error=False)

    assert not result.success
    assert f"{warehouse.raw}/customers.parquet (or .csv) is missing" in step_failure(result)
