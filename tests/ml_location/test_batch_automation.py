"""The daily-batch path through Dagster, with no manual step: a new batch file lands -> raw_files_sensor
records its observation (no run) -> declarative automation requests the dbt models, which build
incrementally -> automation then requests the ML features. Both code locations share one instance here;
each tick of the daemon is one public `evaluate_automation_conditions` call, and each requested run is
executed as the daemon would launch it."""

import shutil

import dagster as dg
import duckdb
import pyarrow.parquet as pq
from shop_histories import write_shop

import analytics_location.definitions as analytics
import ml_location.definitions as ml
from analytics_location.raw_files import raw_files_sensor

# The two locations' assets and resources in one repository; their automation sensors are left out, since
# each tick here evaluates every asset's condition (as the two sensors together do).
DEFS = dg.Definitions(
    assets=[*analytics.defs.assets, *ml.defs.assets],
    resources={**analytics.defs.resources, **ml.defs.resources},
)
ORDERS = dg.AssetKey("raw_orders")


def tick(instance, cursor):
    """One automation tick: the runs it requests are executed at once; returns the keys built, the cursor."""
    result = dg.evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=cursor)
    keys = {r.key for r in result.results if isinstance(r.key, dg.AssetKey) and r.true_subset.size}
    if keys:
        run = DEFS.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=list(keys), raise_on_error=False
        )
        assert run.success, [str(e.event_specific_data) for e in run.all_events if e.is_failure]
    return keys, result.cursor


def observe(instance, cursor):
    """One raw_files_sensor tick, its events recorded as the daemon records a SensorResult's."""
    result = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    assert isinstance(result, dg.SensorResult), result
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result


def test_a_new_batch_builds_the_marts_incrementally_then_the_ml_features(warehouse):
    write_shop(warehouse.raw)
    batches = warehouse.raw / "orders"
    batches.mkdir()
    shutil.move(warehouse.raw / "orders.parquet", batches / "2024-12-31.parquet")
    instance = dg.DagsterInstance.ephemeral()

    # The first look: every landing file observed; then everything built once, as `make demo` does (a
    # first build is a full one), and a first automation tick, which only starts its cursor.
    first = observe(instance, None)
    assert {e.asset_key for e in first.asset_events} == {
        ORDERS,
        dg.AssetKey("raw_customers"),
        dg.AssetKey("raw_products"),
    }
    assert DEFS.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance).success
    built, cursor = tick(instance, None)
    assert built == set()

    # A new daily batch: two more orders of customer 1, in the last month.
    lines = pq.read_table(batches / "2024-12-31.parquet").to_pylist()
    last = max(lines, key=lambda line: line["order_date"])
    new_lines = [{**last, "order_id": 10_000_000 + i, "customer_id": 1} for i in range(2)]
    pq.write_table(
        pq.read_table(batches / "2024-12-31.parquet").schema.empty_table().from_pylist(new_lines),
        batches / "2025-01-01.parquet",
    )
    before = summary_orders(warehouse, customer_id=1)

    observed = observe(instance, first.cursor)
    [event] = observed.asset_events
    assert event.asset_key == ORDERS and event.metadata["batch"].value == "2025-01-01.parquet"
    assert event.metadata["change"].value == "new"

    built, cursor = tick(instance, cursor)
    assert dg.AssetKey("customer_order_summary") in built and dg.AssetKey("checked_orders") in built
    assert summary_orders(warehouse, customer_id=1) == before + 2
    # Column lineage on every model of the incremental build, the helpers reading the last build's tables too.
    events = [instance.get_latest_materialization_event(key).asset_materialization for key in built]
    dbt_models = [event for event in events if "unique_id" in event.metadata]
    without_lineage = [e.asset_key.to_user_string() for e in dbt_models if "dagster/column_lineage" not in e.metadata]
    assert len(dbt_models) > 10
    assert without_lineage == []
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        # The run completed the build: the ledger the next one compares with holds the batches landed now.
        ledger = con.execute("select batch, fingerprint from ledger.built_order_batches order by 1").fetchall()
        assert ledger == con.execute("select distinct batch, batch_fingerprint from raw.orders order by 1").fetchall()

    # The ML features follow, in the same tick's run or a later one's (once the marts' checks passed).
    for _ in range(3):
        more, cursor = tick(instance, cursor)
        built |= more
    assert dg.AssetKey("customer_features") in built, built


def test_on_a_new_warehouse_the_models_wait_for_every_raw_table_then_build_everything(warehouse, tmp_path):
    """Nothing built yet and the landing files arriving over two sensor ticks (customers and products first).
    Every dbt build checks all the landing files before it starts, so a run for the products' models alone
    could only fail: the models wait. When the orders land, one run builds every model, and the ML features
    follow."""
    later = tmp_path / "later"
    later.mkdir()
    write_shop(later)
    warehouse.raw.mkdir(parents=True, exist_ok=True)
    for table in ("customers", "products"):
        shutil.move(later / f"{table}.parquet", warehouse.raw / f"{table}.parquet")
    instance = dg.DagsterInstance.ephemeral()

    built, cursor = tick(instance, None)
    assert built == set()  # the daemon's first tick only starts its cursor
    first = observe(instance, None)
    assert {e.asset_key for e in first.asset_events} == {dg.AssetKey("raw_customers"), dg.AssetKey("raw_products")}
    built, cursor = tick(instance, cursor)
    assert built == set(), f"no run can succeed before the orders land, yet automation requested {built}"

    shutil.move(later / "orders.parquet", warehouse.raw / "orders.parquet")
    observe(instance, first.cursor)
    built, cursor = tick(instance, cursor)  # every run it starts must succeed (tick asserts it)
    dbt_models = {key for key in DEFS.resolve_all_asset_keys() if key in analytics.defs.resolve_all_asset_keys()}
    assert dbt_models - {ORDERS, dg.AssetKey("raw_customers"), dg.AssetKey("raw_products")} <= built, (
        "the products' models, pending since their files were observed, build with the rest"
    )
    for _ in range(3):
        more, cursor = tick(instance, cursor)
        built |= more
    assert dg.AssetKey("customer_features") in built, built


def test_files_observed_before_automation_first_looks_are_still_built(warehouse):
    """A new Dagster instance (`make ui` on a new warehouse) whose raw-files sensor records its first
    observations before the automation's first evaluation: that evaluation starts the cursor and handles
    the updates it sees, so eager() alone never built the models whose files it saw first (only the ones
    observed a moment later were; nothing after them ran). Models never built are built once every raw
    table has arrived, whenever that happened."""
    write_shop(warehouse.raw)
    instance = dg.DagsterInstance.ephemeral()
    observe(instance, None)
    built, cursor = set(), None
    for _ in range(4):
        more, cursor = tick(instance, cursor)
        built |= more
    marts = {"customer_order_summary", "product_performance", "customer_monthly_activity", "product_monthly_sales"}
    assert {dg.AssetKey(name) for name in marts} <= built, built


def summary_orders(warehouse, customer_id: int) -> int:
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(
            "select total_orders from marts.customer_order_summary where customer_id = ?", [customer_id]
        ).fetchone()[0]
