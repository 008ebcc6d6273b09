"""Materializing the analytics location into a temporary warehouse: raw files -> staging -> marts, with
checks, metadata, and no lock left on the warehouse afterwards."""

import json
import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from support import contract_types, materialize, step_failure

from analytics_location.definitions import defs
from analytics_location.project import analytics_dbt_project

SUMMARY = dg.AssetKey("customer_order_summary")


@pytest.fixture(scope="module")
def run(new_warehouse):
    warehouse = new_warehouse("materialized")
    warehouse.generate(orders=20_000, bad_rate=0)
    # One bad order: quarantined, shown in rejected_orders' metadata, far below the share that warns.
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


def test_every_check_passes_when_a_few_rows_are_rejected(run):
    """A routine bad row is quarantined without a warning: the share stays under var warn_rejected_share."""
    _, result = run
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(defs.resolve_asset_graph().asset_check_keys)
    assert [e.check_name for e in evaluations if not e.passed] == []


def test_the_quarantine_shows_reasons_a_sample_and_the_share(run):
    _, result = run
    events = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    orders = events["rejected_orders"]
    assert orders["rejected_rows"].value == 1
    assert orders["rejected_share"].value == round(1 / orders["raw_rows"].value, 6)
    assert "| 1 | quantity is not positive |" in orders["rejection_reasons"].value
    [row] = orders["rejected_rows_sample"].value.records
    assert row.data["reason"] == "quantity is not positive" and row.data["quantity"] == "0"
    customers = events["rejected_customers"]
    assert customers["rejected_rows"].value == 0 and customers["rejected_rows_sample"].value.records == []


def test_materializations_carry_row_counts_and_column_schema(run):
    warehouse, result = run
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == SUMMARY]
    metadata = event.materialization.metadata
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        [(rows,)] = con.execute("select count(*) from marts.customer_order_summary").fetchall()
    assert metadata["dagster/row_count"].value == rows
    # The warehouse's names of the contract's types (not dbt's "character varying(256)"), as after a hand build.
    columns = [(c.name, c.type) for c in metadata["dagster/column_schema"].value.columns]
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    assert columns == contract_types(manifest, "customer_order_summary")
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
    share = evaluations["stg_orders_rejected_share_below_limit"]
    assert not share.passed and share.severity == dg.AssetCheckSeverity.ERROR
    assert SUMMARY not in {e.asset_key for e in result.get_asset_materialization_events()}
    assert "check stg_orders_rejected_share_below_limit on stg_orders failed" in step_failure(result)
    assert "Not built, so that nothing downstream uses data that failed: customer_monthly_activity" in step_failure(
        result
    )


def test_an_unusable_raw_file_fails_the_run_naming_it(warehouse):
    warehouse.generate(orders=2_000)
    (warehouse.raw / "customers.parquet").unlink()

    result = materialize(defs, raise_on_error=False)

    assert not result.success
    # dbt's own words first, as the UI shows the failure: not dagster-dbt's command line, nor the macro stack.
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    description = failure.step_failure_data.user_failure_data.description
    assert description.splitlines()[0] == f"Raw landing files in {warehouse.raw} are not usable:"
    assert f"- {warehouse.raw}/customers.parquet (or .csv) is missing" in description
    assert "dbt CLI process" not in description and "> in macro" not in description
