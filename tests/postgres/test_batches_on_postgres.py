"""Order batches on PostgreSQL: `make load-raw` loads raw/orders/ batch by batch (only what changed), dbt
names each line's batch from raw.orders.batch, and the batch files' checks give DuckDB's messages."""

import random
import sys
from datetime import date
from pathlib import Path

import pytest
from pg_warehouse import COMPARED, BothBackends
from test_raw_files_on_postgres import problem_lines

sys.path.insert(0, str(Path(__file__).parents[1] / "analytics"))
from batch_landing import CUSTOMERS, PRODUCTS, Landing, line, orders


@pytest.fixture
def landing(warehouse) -> Landing:
    landing = Landing(warehouse.raw)
    landing.write("customers", CUSTOMERS)
    landing.write("products", PRODUCTS)
    return landing


def three_batches(landing: Landing) -> None:
    rng = random.Random(23)
    landing.write("orders", orders(rng, 1, 30, date(2025, 1, 1)), "2025-01-01.parquet")
    # a duplicate of a line of the first batch: rejected in this later batch, which its `batch` must name
    landing.write(
        "orders",
        [*orders(rng, 100, 30, date(2025, 2, 1)), landing.read("orders", "2025-01-01.parquet")[0]],
        "2025-02-01.parquet",
    )
    landing.write("orders", [*orders(rng, 200, 30, date(2025, 3, 1)), line(299, 999, 10)], "2025-03-01.parquet")


def build_both(both: BothBackends):
    duck, pg, loaded = both.on_both("build")
    assert duck.returncode == 0, duck.stdout[-3000:]
    assert pg.returncode == 0, pg.stdout[-3000:]
    assert [d for table in COMPARED if (d := both.differences(table))] == []
    return {item.table: item for item in loaded}


def loaded_at(both: BothBackends) -> dict[str, object]:
    return dict(both.postgres_rows("(select batch, loaded_at from raw.order_batches) as b")[1])


def test_batches_load_as_duckdb_reads_them_and_only_changed_ones_reload(warehouse, landing, analytics_pg_url):
    three_batches(landing)
    both = BothBackends(warehouse, analytics_pg_url)
    first = build_both(both)["orders"]
    assert first.batches["loaded"] == landing.batch_names()
    batches = {row[0] for row in both.postgres_rows("(select distinct batch from quarantine.rejected_orders) as r")[1]}
    assert batches == {"2025-02-01.parquet", "2025-03-01.parquet"}
    before = loaded_at(both)

    rng = random.Random(5)
    landing.write("orders", orders(rng, 300, 20, date(2025, 2, 1)), "2025-02-01.parquet")  # re-delivered
    (landing.batches / "2025-03-01.parquet").unlink()
    landing.write("orders", orders(rng, 400, 20, date(2025, 4, 1)), "2025-04-01.parquet")
    second = build_both(both)["orders"]

    assert second.batches == {
        "loaded": ["2025-02-01.parquet", "2025-04-01.parquet"],
        "unchanged": ["2025-01-01.parquet"],
        "removed": ["2025-03-01.parquet"],
    }
    after = loaded_at(both)
    assert after["2025-01-01.parquet"] == before["2025-01-01.parquet"]
    assert sorted(after) == landing.batch_names()


def spoil_empty(landing: Landing) -> None:
    (landing.batches / "2025-02-01.parquet").write_bytes(b"")


def spoil_header_only(landing: Landing) -> None:
    (landing.batches / "2025-02-15.csv").write_text("order_id,customer_id,product_id,quantity,price,order_date\n")


@pytest.mark.parametrize(
    "spoil, message",
    [
        (spoil_empty, "2025-02-01.parquet is empty (0 bytes)"),
        (spoil_header_only, "2025-02-15.csv has no rows"),
        (lambda landing: landing.write("orders", [line(1, 1, 10)], "../orders.parquet"), "keep either the folder"),
    ],
    ids=["empty", "header_only", "folder_and_single_file"],
)
def test_a_bad_batch_gives_the_same_message_on_both(warehouse, landing, analytics_pg_url, spoil, message):
    three_batches(landing)
    spoil(landing)
    both = BothBackends(warehouse, analytics_pg_url)
    duck, pg, _ = both.on_both("build")
    assert duck.returncode != 0 and pg.returncode != 0
    assert message in pg.stdout, pg.stdout[-3000:]
    assert problem_lines(pg.stdout) == problem_lines(duck.stdout)
    if message.endswith(("(0 bytes)", "has no rows")):  # the bad batch file is recorded, not loaded
        bad = message.split()[0]
        assert both.postgres_rows(f"raw.orders where batch = '{bad}'")[1] == []
        assert both.postgres_rows(f"raw.order_batches where batch = '{bad}' and rows is null")[1]
