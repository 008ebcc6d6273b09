"""Orders as daily batches: a landing folder raw/orders/<day>.parquet (or .csv), as a shop exporting every
day delivers them.

`split_into_batches` turns the generated orders file into K batches by day, with late rows (a share of
orders arrives in a later batch than its date's) and a small share of lines sent again in the next
batch (cross-batch duplicates). `append_batch` adds one batch of M order lines to an existing folder,
continuing its history: order ids after the last, the day after the last batch, a few late lines and
resent lines, and new customers, written into a rewritten customers snapshot. Both are seeded."""

from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from datagen.generate import FORMATS, LINES_PER_ORDER_P, ORDERS_WITH_LINE_NUMBERS, SCHEMAS

LATE_SHARE = 0.02  # of orders: delivered 1 to 3 batches after the one of their day
RESENT_SHARE = 0.001  # of lines: sent again in the next batch, with their own quantity
NEW_CUSTOMERS_PER_LINE = 0.004  # an appended batch of M lines brings M * this new customers


def batch_folder(raw: Path) -> Path:
    return raw / "orders"


def split_into_batches(raw: Path, batches: int, seed: int, fmt: str) -> list[Path]:
    """Replaces raw/orders.<fmt> by `batches` files raw/orders/<last day>.<fmt>, orders kept whole."""
    single = raw / f"orders.{fmt}"
    folder = batch_folder(raw)
    folder.mkdir(exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    reader = f"read_parquet('{single}')" if fmt == "parquet" else f"read_csv('{single}', header = true)"
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = false")
        first, last = con.execute(f"select min(order_date), max(order_date) from {reader}").fetchone()
        # The contract's columns the file has: line_number only when generated with --line-numbers.
        present = [column[0] for column in con.execute(f"select * from {reader} limit 0").description]
        columns = ", ".join(name for name in ORDERS_WITH_LINE_NUMBERS.names if name in present)
        span = (last - first).days + 1
        # An order's batch: the one of its first line's day, a share of orders 1 to 3 batches later (late),
        # and a share of lines once more in the next batch (resent). Hashes of the ids keep it seeded.
        con.execute(f"""
            create temp table lines as
            with orders as (
                select
                    order_id,
                    least({batches - 1}, floor(datediff('day', date '{first}', min(order_date)) * {batches} / {span}))
                    + case when hash(order_id, {seed}) % 10000 < {LATE_SHARE * 10000}
                        then 1 + hash(order_id, {seed}, 1) % 3 else 0 end as batch
                from {reader}
                group by order_id
            ),
            placed as (
                select raw_lines.*, coalesce(orders.batch, 0) as batch
                from {reader} as raw_lines left join orders using (order_id)
            )
            select
                {columns},
                least(batch, {batches - 1}) as batch
            from placed
            union all
            select
                {columns.replace("quantity", "cast(quantity + 1 as integer) as quantity")},
                batch + 1 as batch
            from placed
            where batch < {batches - 1} and hash(order_id, product_id, {seed}, 2) % 100000 < {RESENT_SHARE * 100000}
        """)
        written = []
        for index in range(batches):
            day = first + timedelta(days=(index + 1) * span // batches - 1)
            path = folder / f"{day.isoformat()}.{fmt}"
            options = "(format parquet)" if fmt == "parquet" else "(format csv, header true)"
            con.execute(f"copy (select {columns} from lines where batch = {index}) to '{path}' {options}")
            written.append(path)
    single.unlink()
    return written


def landed_batches(raw: Path) -> list[Path]:
    folder = batch_folder(raw)
    return sorted(p for fmt in FORMATS for p in folder.glob(f"*.{fmt}")) if folder.is_dir() else []


def append_batch(raw: Path, lines: int, seed: int) -> Path:
    """Writes one more batch of `lines` order lines after the last one, and the customers snapshot with
    the new customers it brings."""
    existing = landed_batches(raw)
    if not existing:
        raise SystemExit(
            f"--append-batch needs batch files in {batch_folder(raw)}/; "
            "make them first with `python -m datagen --orders N --batches K`"
        )
    fmt = existing[-1].suffix.lstrip(".")
    customers_path = next((p for f in FORMATS if (p := raw / f"customers.{f}").exists()), None)
    products_path = next((p for f in FORMATS if (p := raw / f"products.{f}").exists()), None)
    if customers_path is None or products_path is None:
        raise SystemExit(f"--append-batch needs the customers and products files in {raw}")
    rng = np.random.default_rng([seed, len(existing)])
    with duckdb.connect() as con:
        files = "[" + ", ".join(f"'{p}'" for p in existing) + "]"
        reader = f"read_parquet({files})" if fmt == "parquet" else f"read_csv({files}, header = true)"
        last_id, last_day = con.execute(
            f"select max(try_cast(order_id as bigint)), max(try_cast(order_date as date)) from {reader}"
        ).fetchone()
        customers = read(customers_path)
        products = read(products_path)
        previous = read(existing[-1])
    customer_ids = np.unique(
        pa.compute.cast(customers["customer_id"], pa.int64(), safe=False).drop_null().to_numpy(zero_copy_only=False)
    )
    product_ids = np.array(
        pa.compute.cast(products["product_id"], pa.int64(), safe=False).fill_null(0).to_numpy(zero_copy_only=False)
    )
    retail = np.nan_to_num(
        np.array(
            pa.compute.cast(products["retail_price"], pa.float64(), safe=False)
            .fill_null(10.0)
            .to_numpy(zero_copy_only=False)
        ),
        nan=10.0,
    )
    retail = np.clip(retail, 0.5, 10_000)

    # New customers, signed up on the batch's day: they place some of its orders.
    day = last_day + timedelta(days=1)
    new_count = max(1, int(lines * NEW_CUSTOMERS_PER_LINE))
    new_ids = np.arange(int(customer_ids.max()) + 1, int(customer_ids.max()) + 1 + new_count)
    new_customers = pa.table(
        {
            "customer_id": new_ids,
            "name": [f"New Customer {i}" for i in new_ids],
            "email": [f"customer{i}@example.com" for i in new_ids],
            "signup_date": [day] * new_count,
            "tier": rng.choice(["basic", "premium"], new_count, p=[0.8, 0.2]).tolist(),
        },
        schema=SCHEMAS["customers"],
    )

    # Orders of 1 or more lines (as the generator's), distinct products, one customer and day each.
    per_order = np.minimum(rng.geometric(LINES_PER_ORDER_P, lines), min(12, len(product_ids)))
    per_order = per_order[: np.searchsorted(np.cumsum(per_order), lines) + 1]
    per_order[-1] -= per_order.sum() - lines
    order_of_line = np.repeat(np.arange(len(per_order)), per_order)
    buyers = np.concatenate([customer_ids, new_ids])
    weights = np.concatenate([np.ones(len(customer_ids)), np.full(new_count, 5.0)])
    order_customer = rng.choice(buyers, len(per_order), p=weights / weights.sum())
    # 2% of orders are late: their day is 1 to 30 days before the batch's.
    order_day = np.where(rng.random(len(per_order)) < LATE_SHARE, -rng.integers(1, 31, len(per_order)), 0)
    popularity = 1.0 / np.arange(1, len(product_ids) + 1)
    product_index = rng.choice(len(product_ids), lines, p=popularity / popularity.sum())
    starts = np.cumsum(per_order) - per_order
    for order in np.flatnonzero(per_order > 1):  # distinct products within an order
        span = slice(starts[order], starts[order] + per_order[order])
        product_index[span] = rng.choice(len(product_ids), per_order[order], replace=False)
    quantity = np.minimum(rng.geometric(0.55, lines), 20).astype(np.int32)
    price = np.round(retail[product_index] * rng.choice([1.0, 0.9, 0.8], lines, p=[0.7, 0.2, 0.1]), 2)
    batch = pa.table(
        {
            "order_id": last_id + 1 + order_of_line.astype(np.int64),
            "customer_id": order_customer[order_of_line].astype(np.int64),
            "product_id": product_ids[product_index].astype(np.int64),
            "quantity": quantity,
            "price": price,
            "order_date": pa.array(np.datetime64(day) + order_day[order_of_line].astype("timedelta64[D]")),
        },
        schema=SCHEMAS["orders"],
    )
    # A few lines of the previous batch sent again (a retried export): duplicates across batches.
    resent = previous.slice(0, max(1, int(previous.num_rows * RESENT_SHARE))) if previous.num_rows else previous
    batch = pa.concat_tables([batch, resent.select(SCHEMAS["orders"].names).cast(SCHEMAS["orders"], safe=False)])

    path = batch_folder(raw) / f"{day.isoformat()}.{fmt}"
    write(batch, path)
    write(pa.concat_tables([customers.cast(SCHEMAS["customers"], safe=False), new_customers]), customers_path)
    return path


def read(path: Path) -> pa.Table:
    return pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)


def write(table: pa.Table, path: Path) -> None:
    """Written under a temporary name and renamed into place: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    if path.suffix == ".parquet":
        pq.write_table(table, partial)
    else:
        pacsv.write_csv(table, partial)
    partial.replace(path)
