"""A new raw-files sensor on an instance that already observed this warehouse's files (`make ui` after `make
demo`) observes nothing, so nothing is rebuilt; the same files in another warehouse's folder are all new."""

import shutil

import dagster as dg
import pytest

from analytics_location.raw_files import raw_files, raw_files_sensor

pytestmark = pytest.mark.unit


def write_delivery(raw):
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "customers.csv").write_text("customer_id,name,email,signup_date,tier\n1,Ada,a@x.org,2024-01-01,basic\n")
    (raw / "products.csv").write_text(
        "product_id,product,category,supplier,cost,retail_price\n1,Pen,office,Acme,1.00,2.50\n"
    )
    (raw / "orders").mkdir(exist_ok=True)
    (raw / "orders" / "2025-01-01.csv").write_text(
        "order_id,customer_id,product_id,order_date,quantity,unit_price\n1,1,1,2025-01-01,2,2.50\n"
    )


def observe_in_a_run(instance):
    """What `make demo` records: the raw_files assets observed by a run."""
    job = dg.Definitions(assets=[raw_files]).resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=instance).success


def first_tick(instance):
    return raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=None))


def test_files_a_run_observed_are_not_new_to_a_new_sensor(warehouse):
    write_delivery(warehouse.raw)
    instance = dg.DagsterInstance.ephemeral()
    observe_in_a_run(instance)
    assert isinstance(first_tick(instance), dg.SkipReason)

    # A batch lands while no sensor runs: a first look observes the orders' batches (the instance knows their
    # delivery as a whole, not batch by batch: dbt's ledger then rebuilds only the new one), and nothing else.
    shutil.copy(warehouse.raw / "orders" / "2025-01-01.csv", warehouse.raw / "orders" / "2025-01-02.csv")
    result = first_tick(instance)
    assert [(e.asset_key.to_user_string(), e.metadata["batch"].value) for e in result.asset_events] == [
        ("raw_orders", "2025-01-01.csv"),
        ("raw_orders", "2025-01-02.csv"),
    ]


def test_the_same_files_in_another_warehouse_are_new(warehouse, tmp_path, monkeypatch):
    write_delivery(warehouse.raw)
    instance = dg.DagsterInstance.ephemeral()
    observe_in_a_run(instance)
    other = tmp_path / "other"
    shutil.copytree(warehouse.raw, other / "raw", copy_function=shutil.copy2)  # same sizes and times
    monkeypatch.setenv("WAREHOUSE_DIR", str(other))
    result = first_tick(instance)
    observed = {e.asset_key for e in result.asset_events}
    assert observed == {dg.AssetKey(f"raw_{t}") for t in ("customers", "products", "orders")}
