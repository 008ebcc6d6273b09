"""One identity for a batch, in Dagster and in dbt: the batches raw_files_sensor observes (their names and
fingerprints, the raw_orders data versions the UI lists) are the batches dbt's build recorded as landed, with
the same fingerprints (warehouse_paths.landing_fingerprint), after a first delivery and after a re-delivery."""

import os
import random
from datetime import date

import dagster as dg
from batch_landing import dbt_build, orders, rows

from analytics_location.raw_files import batch_version, raw_files_sensor

ORDERS = dg.AssetKey("raw_orders")
LIFTED = ("--vars", "{max_rejected_share: 1}")


def observed(cursor):
    """The raw_orders batches one sensor tick observes as new or re-delivered: {batch: fingerprint}, and the cursor."""
    result = raw_files_sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=cursor))
    batches = {}
    for event in result.asset_events:
        if event.asset_key == ORDERS:
            batch, fingerprint = event.metadata["batch"].value, event.metadata["fingerprint"].value
            assert event.tags["dagster/data_version"] == batch_version(batch, fingerprint)
            batches[batch] = fingerprint
    return batches, result.cursor


def built(warehouse) -> dict[str, str]:
    return dict(rows(warehouse, "select batch, fingerprint from ledger.built_order_batches"))


def test_the_sensor_observes_the_batches_the_build_records_with_the_same_fingerprints(pair, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_DIR", str(pair.inc))
    landing, rng = pair.landing, random.Random(11)
    landing.write("orders", orders(rng, 1, 10, date(2025, 1, 1)), "2025-01-10.parquet")
    landing.write("orders", orders(rng, 20, 10, date(2025, 1, 10)), "2025-01-20.parquet")
    # Two batches of one size and modification time (a copy: its lines are quarantined as duplicates, so the
    # share check is lifted): still two batches, two data versions.
    twin = landing.write("orders", landing.read("orders", "2025-01-20.parquet"), "2025-01-21.parquet")
    stat = (landing.batches / "2025-01-20.parquet").stat()
    os.utime(twin, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    first, cursor = observed(None)
    assert dbt_build(pair.inc, *LIFTED).success
    assert first == built(pair.inc)
    assert len(first) == 3 and first["2025-01-20.parquet"] == first["2025-01-21.parquet"]

    # A re-delivery: the sensor sees exactly that batch changed, with the fingerprint the next build records.
    lines = landing.read("orders", "2025-01-10.parquet")
    landing.write("orders", lines[:-1], "2025-01-10.parquet")
    again, _ = observed(cursor)
    assert dbt_build(pair.inc, *LIFTED).success
    assert list(again) == ["2025-01-10.parquet"]
    assert again["2025-01-10.parquet"] == built(pair.inc)["2025-01-10.parquet"] != first["2025-01-10.parquet"]
