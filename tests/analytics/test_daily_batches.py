"""Daily batches of orders: after every operation on a landing folder (append a batch, re-deliver one with
rows changed, added and removed, a batch that arrives late, a tier change, a new customer or product, a
duplicate across batches, a batch removed, a bad file), a plain `dbt build` -- incremental -- gives exactly
the tables that `dbt build --full-refresh` gives on the same files, every table compared row by row.

Each case is written here line by line, so the tests do not depend on what the generator produces; the
randomized sequence draws its operations from a fixed seed."""

import random
from datetime import date, timedelta

from batch_landing import CUSTOMERS, PRODUCTS, line, orders

DUPLICATE = "duplicate order line: another row with this order_id and product_id was kept"


def test_each_operation_on_the_landing_folder_builds_as_a_full_refresh_would(pair):
    landing, rng = pair.landing, random.Random(14)
    b1 = orders(rng, 1, 30, date(2025, 1, 1))
    landing.write("orders", b1, "2025-01-20.parquet")
    landing.write("orders", orders(rng, 31, 30, date(2025, 1, 20)), "2025-02-08.parquet")
    pair.check(expect_mode="full")  # the first build of an empty warehouse is a full one

    # A new batch with late rows (dates before the earlier batches') and a line of an order of batch 1.
    late = [line(100, 3, 10, order_date=date(2024, 12, 3)), line(100, 3, 11, order_date=date(2024, 12, 3))]
    landing.write(
        "orders",
        [*orders(rng, 61, 20, date(2025, 2, 8)), *late, line(1, b1[0]["customer_id"], 19, 2, 9.0, b1[0]["order_date"])],
        "2025-02-28.parquet",
    )
    pair.check()

    # Re-delivery of batch 2: a quantity changed, lines removed, lines added.
    b2 = landing.read("orders", "2025-02-08.parquet")
    b2[0]["quantity"] += 5
    del b2[3:9]
    b2 += orders(rng, 200, 5, date(2025, 1, 25))
    landing.write("orders", b2, "2025-02-08.parquet")
    pair.check()

    # A duplicate across batches: the copy of the earliest batch is kept, the later one quarantined.
    copy = {**b1[1], "quantity": b1[1]["quantity"] + 1}
    landing.write("orders", [copy, *orders(rng, 300, 5, date(2025, 3, 1))], "2025-03-10.parquet")
    pair.check()
    assert (copy["order_id"], copy["product_id"], "2025-03-10.parquet", DUPLICATE) in pair.rows(
        "select cast(order_id as bigint), cast(product_id as bigint), batch, reason from quarantine.rejected_orders",
    )

    # A batch that sorts before the others arrives late, with a copy of a line of batch 2: now its copy
    # is the earliest, and batch 2's line goes to quarantine.
    early = {**b2[0], "price": b2[0]["price"] + 1}
    landing.write("orders", [early, *orders(rng, 390, 5, date(2024, 12, 1))], "2024-12-31.parquet")
    pair.check()
    assert (early["order_id"], "2025-02-08.parquet") in pair.rows(
        f"select cast(order_id as bigint), batch from quarantine.rejected_orders where reason = '{DUPLICATE}'"
    )

    # Orders of a customer and a product that do not exist yet, then the snapshots that add them, a
    # tier change and a new cost.
    # (Each small batch here carries valid orders too: a batch mostly rejected stops the build, see below.)
    unknown = [line(400, 99, 10), line(401, 1, 50), line(402, 99, 50)]
    landing.write("orders", [*unknown, *orders(rng, 410, 10, date(2025, 3, 10))], "2025-03-20.parquet")
    pair.check()
    assert pair.rows("select count(*) from staging.stg_orders where order_id in (400, 401, 402)") == [(0,)]
    customers = landing.read("customers")
    customers[4]["tier"] = "premium"
    landing.write("customers", [*customers, {**CUSTOMERS[0], "customer_id": 99, "name": "New"}])
    pair.check()
    products = landing.read("products")
    products[0]["cost"] = 2.5
    landing.write("products", [*products, {**PRODUCTS[0], "product_id": 50, "product": "New product"}])
    pair.check()
    assert pair.rows("select count(*) from staging.stg_orders where order_id in (400, 401, 402)") == [(3,)]

    # A line that disagrees with its order's customer, in another batch: the order's lines vote across batches.
    first = b1[5]
    disagrees = {
        **first,
        "product_id": 18 if first["product_id"] != 18 else 17,
        "customer_id": first["customer_id"] % 20 + 1,
    }
    landing.write("orders", [disagrees, *orders(rng, 420, 10, date(2025, 3, 11))], "2025-03-21.parquet")
    pair.check()

    # A batch removed from the folder: as if it had never been delivered.
    (landing.batches / "2025-02-28.parquet").unlink()
    pair.check()


def test_a_bad_batch_file_names_itself_and_builds_nothing(pair):
    landing, rng = pair.landing, random.Random(7)
    landing.write("orders", orders(rng, 1, 30, date(2025, 1, 1)), "2025-01-20.parquet")
    pair.check(expect_mode="full")
    before = sorted(pair.rows("select * from marts.customer_order_summary"), key=str)

    bad = landing.batches / "2025-01-21.parquet"
    bad.write_bytes(b"")
    failed = pair.build()
    assert not failed.success
    assert f"{bad} is empty (0 bytes)" in failed.message
    assert sorted(pair.rows("select * from marts.customer_order_summary"), key=str) == before

    # A batch of lines that are almost all rejected: the check per batch stops the marts, naming it.
    landing.write("orders", [line(500 + i, 1, 10, quantity=0) for i in range(10)], "2025-01-21.parquet")
    failed = pair.build()
    assert not failed.success
    assert failed.failed_tests == ["rejected_share_at_most"]
    assert sorted(pair.rows("select * from marts.customer_order_summary"), key=str) == before
    assert pair.state() == ("incremental", False)  # the ledger stays: the next build finds the same changes

    # The next build resumes from the last complete one: incremental, and equal to a full refresh.
    landing.write("orders", orders(rng, 500, 10, date(2025, 1, 21)), "2025-01-21.parquet")
    pair.check()
    pair.check()


def test_random_sequences_of_operations_build_as_a_full_refresh_would(pair):
    landing, rng = pair.landing, random.Random(2026)
    next_id, day = 1, date(2025, 1, 1)

    def new_batch():
        nonlocal next_id, day
        lines = orders(rng, next_id, rng.randint(5, 25), day - timedelta(days=rng.choice([0, 0, 40])))
        # a few lines of earlier orders: late lines and cross-batch duplicates
        for earlier in rng.sample(range(1, next_id), min(next_id - 1, rng.randint(0, 3))):
            lines.append(line(earlier, rng.randint(1, 20), rng.randint(10, 19), order_date=day))
        next_id += 40
        day += timedelta(days=rng.randint(1, 10))
        landing.write("orders", lines, f"{day.isoformat()}.parquet")

    def redeliver():
        name = rng.choice(landing.batch_names())
        lines = landing.read("orders", name)
        rng.shuffle(lines)
        lines = lines[: max(1, len(lines) - rng.randint(0, 3))]
        for changed in lines[: rng.randint(0, 3)]:
            changed["quantity"] = rng.randint(1, 5)
        landing.write("orders", lines, name)

    def remove():
        if len(landing.batch_names()) > 1:
            (landing.batches / rng.choice(landing.batch_names())).unlink()

    def dimension():
        customers = landing.read("customers")
        rng.choice(customers)["tier"] = rng.choice(["basic", "premium"])
        landing.write("customers", customers[: rng.randint(18, 20)])  # a customer may disappear too

    new_batch()
    new_batch()
    pair.check(expect_mode="full")
    operations = [new_batch, new_batch, redeliver, remove, dimension]
    for _ in range(6):
        rng.choice(operations)()
        pair.check()
