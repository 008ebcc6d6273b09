"""The generator's daily batches: `--batches K` writes K files with whole orders, late rows and lines resent
in a later batch; `--append-batch M` continues the history with M lines, after the last order id and day,
and new customers in the rewritten snapshot."""

import duckdb
import pytest

from datagen.__main__ import main as datagen

pytestmark = pytest.mark.unit


def test_batches_then_an_appended_batch(tmp_path):
    raw = tmp_path / "raw"
    assert datagen(["--orders", "20000", "--batches", "5", "--out", str(raw)]) == 0
    batches = sorted((raw / "orders").glob("*.parquet"))
    assert len(batches) == 5 and not (raw / "orders.parquet").exists()
    with duckdb.connect() as con:
        lines = f"read_parquet('{raw}/orders/*.parquet', filename = true)"
        total = con.execute(f"select count(*) from {lines}").fetchone()[0]
        assert total > 20_000  # the generated lines, plus those resent in the next batch
        across = con.execute(
            f"select count(*) from (select order_id, product_id from {lines} group by all "
            "having count(distinct filename) > 1)"
        ).fetchone()[0]
        assert across > 0  # cross-batch duplicates
        # Late rows: lines whose day is before the last day of the previous batch.
        late = con.execute(
            f"with per_file as (select filename, max(order_date) as last_day from {lines} group by all), "
            "ordered as (select filename, lag(last_day) over (order by filename) as previous_last from per_file) "
            f"select count(*) from {lines} join ordered using (filename) where order_date < previous_last"
        ).fetchone()[0]
        assert late > 0
        customers_before, last_id, last_day = con.execute(
            f"select (select count(*) from '{raw}/customers.parquet'), max(order_id), max(order_date) from {lines}"
        ).fetchone()

    assert datagen(["--append-batch", "1000", "--out", str(raw)]) == 0
    appended = sorted((raw / "orders").glob("*.parquet"))
    assert len(appended) == 6 and appended[:5] == batches
    with duckdb.connect() as con:
        new = f"read_parquet('{appended[-1]}')"
        min_new_id, day, rows = con.execute(
            f"select min(order_id) filter (where order_id > {last_id}), max(order_date), count(*) from {new}"
        ).fetchone()
        assert min_new_id == last_id + 1 and day > last_day and rows >= 1000
        customers_after = con.execute(f"select count(*) from '{raw}/customers.parquet'").fetchone()[0]
        assert customers_after > customers_before
        unknown = con.execute(
            f"select count(*) from {new} where order_id > {last_id} and customer_id not in "
            f"(select customer_id from '{raw}/customers.parquet' where customer_id is not null)"
        ).fetchone()[0]
        assert unknown == 0  # every new order's customer is in the snapshot, the new ones included
