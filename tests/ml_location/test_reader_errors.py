"""Every way the ML location's read of the analytics warehouse can go wrong ends in one clear message."""

import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from support import materialize, step_failure

import ml_location.definitions as ml
from ml_location.analytics_reader import AnalyticsWarehouse, UpstreamContractBroken, UpstreamNotMaterialized
from ml_location.duckdb_files import WarehouseLocked, quoted
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY


def make_marts(path, summary_columns="customer_id bigint, tier varchar, total_orders bigint, total_spent double"):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.customer_order_summary ({summary_columns})")
        con.execute("insert into marts.customer_order_summary values (1, 'basic', 1, 10.0)")
        con.execute(
            "create table marts.customer_monthly_activity as "
            "select 1::bigint as customer_id, date '2024-01-01' as month, 1::bigint as orders, 10.0::double as revenue"
        )


def test_ml_before_analytics_names_the_missing_assets_and_the_fix(warehouse):
    with pytest.raises(UpstreamNotMaterialized) as caught:
        AnalyticsWarehouse(warehouse_dir=str(warehouse.root)).read(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY)
    message = caught.value.description
    assert "customer_order_summary, customer_monthly_activity not materialized yet" in message
    assert f"{warehouse.analytics_db} does not exist" in message
    assert "`analytics` code location" in message and "Materialize" in message


def test_a_missing_table_names_the_asset(warehouse):
    with duckdb.connect(str(warehouse.analytics_db)) as con:
        con.execute("create schema marts")
    with pytest.raises(
        UpstreamNotMaterialized, match=r"customer_order_summary not materialized yet.*has no table marts"
    ):
        AnalyticsWarehouse(warehouse_dir=str(warehouse.root)).read(CUSTOMER_ORDER_SUMMARY)


def test_the_ml_run_before_analytics_fails_with_that_message(warehouse):
    result = materialize(ml.defs, raise_on_error=False, asset_selection=[dg.AssetKey("customer_features")])
    assert not result.success
    assert "customer_order_summary, customer_monthly_activity not materialized yet" in step_failure(result)
    # A dg.Failure: the event carries the message alone (the UI's heading) and its metadata (listed under it),
    # apart from the stack trace, and no chained exception whose own stack the UI would print too.
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    data = failure.event_specific_data
    assert data.user_failure_data.description.startswith(
        "Upstream asset(s) customer_order_summary, customer_monthly_activity not materialized yet"
    )
    assert "Traceback" not in data.user_failure_data.description
    missing = data.user_failure_data.metadata["missing_assets"].value
    assert missing == "customer_order_summary, customer_monthly_activity"
    assert data.error.cause is None and data.error.context is None


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            "customer_id bigint, tier varchar, total_orders bigint, spent double",
            "marts.customer_order_summary.total_spent is missing "
            "(the table has: customer_id, tier, total_orders, spent)",
        ),
        (
            "customer_id bigint, tier varchar, total_orders bigint, total_spent varchar",
            "marts.customer_order_summary.total_spent is VARCHAR, expected DOUBLE",
        ),
    ],
    ids=["renamed", "retyped"],
)
def test_schema_drift_fails_before_any_computing(warehouse, columns, expected):
    make_marts(warehouse.analytics_db, columns)
    result = materialize(ml.defs, raise_on_error=False, asset_selection=[dg.AssetKey("customer_features")])
    message = step_failure(result)
    assert expected in message and "Nothing was computed" in message
    assert not (warehouse.root / "ml.duckdb").exists()  # nothing was written either
    with pytest.raises(UpstreamContractBroken):
        AnalyticsWarehouse(warehouse_dir=str(warehouse.root)).read(CUSTOMER_ORDER_SUMMARY)


def test_the_reader_cannot_write(warehouse):
    make_marts(warehouse.analytics_db)
    with (
        AnalyticsWarehouse(warehouse_dir=str(warehouse.root)).connection() as con,
        pytest.raises(duckdb.Error, match="read-only"),
    ):
        con.execute("delete from marts.customer_order_summary")


def test_a_lock_held_too_long_names_the_holder(warehouse):
    make_marts(warehouse.analytics_db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; con = duckdb.connect({str(warehouse.analytics_db)!r}); print('locked', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseLocked) as caught:
            AnalyticsWarehouse(warehouse_dir=str(warehouse.root), lock_timeout_seconds=1).read(CUSTOMER_ORDER_SUMMARY)
        assert f"(PID {holder.pid}) holds it" in caught.value.description
    finally:
        holder.communicate("")  # closing stdin releases the lock


def test_a_reader_waits_for_a_short_writer(warehouse):
    make_marts(warehouse.analytics_db)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(warehouse.analytics_db)!r}); print('locked', flush=True); "
            "time.sleep(1.5)",
        ],  # a writer that holds the file briefly, like a small dbt build
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        [summary] = AnalyticsWarehouse(warehouse_dir=str(warehouse.root), lock_timeout_seconds=30).read(
            CUSTOMER_ORDER_SUMMARY
        )
        assert len(summary) == 1
    finally:
        writer.wait()


def test_names_from_configuration_are_validated_before_reaching_sql():
    assert quoted("customer_features") == '"customer_features"'
    for bad in ('x"; drop table y; --', "Customer", "a b", ""):
        with pytest.raises(ValueError, match="not a valid table or column name"):
            quoted(bad)
