"""The tests that an incremental build narrows to the rows it changed (macros/incremental_batches.sql):
stg_orders' (`where: __rechecked_orders__`: the orders it re-checked) and the customer marts'
(`where: __rebuilt_keys__`: the keys it recomputed). They read only those rows in an incremental build and
every row in a full one; the ledger that the next build compares with moves on only in a `dbt build`, after
they passed."""

import random
from datetime import date

import duckdb
from batch_landing import BUILT_TABLES, dbt_build, orders, state

ONE_ROW_PER_LINE = "stg_orders_one_row_per_order_line"
SAME_CUSTOMER_AND_DATE = "stg_orders_lines_agree_on_customer_and_date"
ONE_ROW_PER_CUSTOMER_MONTH = "customer_monthly_activity_one_row_per_customer_month"


def failed_tests(result) -> list[str]:
    return sorted(r.node.name for r in result.result if r.status == "fail")


def duplicate_a_staged_line(warehouse) -> int:
    """A defect planted behind dbt's back: one staged line of an order of several lines takes the product of
    another, so the order has the same (order_id, product_id) twice (the row counts stay those of the raw
    files, which stg_orders_reconcile_with_raw checks). Returns the order."""
    with duckdb.connect(str(warehouse / "analytics.duckdb")) as con:
        order_id, low, high = con.execute(
            "select order_id, min(product_id), max(product_id) from intermediate.checked_orders "
            "where reason is null group by order_id having count(*) > 1 order by order_id limit 1"
        ).fetchone()
        con.execute(
            "update intermediate.checked_orders set product_id = ? where order_id = ? and product_id = ?",
            [low, order_id, high],
        )
    return order_id


def duplicate_a_mart_row(warehouse, month: date) -> None:
    """The same for customer_monthly_activity: one customer's row of `month`, twice."""
    with duckdb.connect(str(warehouse / "analytics.duckdb")) as con:
        con.execute(
            "insert into marts.customer_monthly_activity select * from marts.customer_monthly_activity "
            "where month = ? limit 1",
            [month],
        )


def test_an_incremental_build_tests_the_rows_it_changed_and_a_full_build_every_row(pair):
    landing, rng = pair.landing, random.Random(3)
    landing.write("orders", orders(rng, 1, 30, date(2024, 12, 1)), "2024-12-20.parquet")
    assert dbt_build(pair.inc).success

    # Defects planted in what batch 1 built (a line staged twice, a customer-month twice), then a new batch
    # of February orders: the update re-checks its orders only and recomputes its customers' February, and
    # the planted rows are not among them.
    assert duplicate_a_staged_line(pair.inc) < 100
    duplicate_a_mart_row(pair.inc, date(2024, 12, 1))
    landing.write("orders", orders(rng, 100, 20, date(2025, 2, 1)), "2025-02-20.parquet")
    update = dbt_build(pair.inc)
    assert update.success, failed_tests(update)
    assert state(pair.inc) == ("incremental", True)
    ran = {r.node.name: r.status for r in update.result}
    assert ran[ONE_ROW_PER_LINE] == ran[SAME_CUSTOMER_AND_DATE] == ran[ONE_ROW_PER_CUSTOMER_MONTH] == "pass"

    # The same tests in a full build (each run alone, over the same tables: a build skips what follows a
    # failure): they read every row again, and fail on the planted copies.
    for test in (ONE_ROW_PER_LINE, ONE_ROW_PER_CUSTOMER_MONTH):
        assert failed_tests(dbt_build(pair.inc, "--full-refresh", "--select", test)) == [test]


def test_a_dbt_run_leaves_the_ledger_so_the_next_build_rechecks_and_tests_what_it_built(pair):
    landing, rng = pair.landing, random.Random(5)
    landing.write("orders", orders(rng, 1, 30, date(2025, 1, 1)), "2025-01-20.parquet")

    # `dbt run` builds every model but runs no test: nothing vouches for the orders it staged, and the ledger
    # of the last complete build stays empty.
    assert dbt_build(pair.inc, command="run").success
    assert state(pair.inc) == ("full", False)
    planted = duplicate_a_staged_line(pair.inc)

    # The next build finds batch 1 changed still: it re-checks its orders (the planted copy is replaced by the
    # order's lines as checked) and its narrowed tests read them.
    landing.write("orders", orders(rng, 100, 20, date(2025, 1, 20)), "2025-02-08.parquet")
    build = dbt_build(pair.inc)
    assert build.success, failed_tests(build)
    assert state(pair.inc) == ("incremental", True)
    with duckdb.connect(str(pair.inc / "analytics.duckdb"), read_only=True) as con:
        rechecked = {r[0] for r in con.execute("select order_id from intermediate.affected_orders").fetchall()}
        copies = con.execute(
            "select max(n) from (select count(*) as n from staging.stg_orders group by order_id, product_id)"
        ).fetchone()[0]
    assert set(range(1, 31)) | set(range(100, 120)) <= rechecked and planted in rechecked
    assert copies == 1


def test_the_whole_tables_var_finds_what_the_incremental_build_did_not_read_and_rebuilds_nothing(pair):
    landing, rng = pair.landing, random.Random(3)
    landing.write("orders", orders(rng, 1, 30, date(2024, 12, 1)), "2024-12-20.parquet")
    assert dbt_build(pair.inc).success
    duplicate_a_staged_line(pair.inc)
    duplicate_a_mart_row(pair.inc, date(2024, 12, 1))
    landing.write("orders", orders(rng, 100, 20, date(2025, 2, 1)), "2025-02-20.parquet")
    assert dbt_build(pair.inc).success  # the narrowed tests read only February's orders
    before = {table: table_rows(pair.inc, table) for table in BUILT_TABLES}

    # The weekly schedule's run (and an analyst's): every row read, nothing recomputed.
    tested = dbt_build(pair.inc, "--vars", "{whole_tables: true}", command="test")
    assert {ONE_ROW_PER_LINE, ONE_ROW_PER_CUSTOMER_MONTH} <= set(failed_tests(tested))
    assert {table: table_rows(pair.inc, table) for table in BUILT_TABLES} == before
    assert state(pair.inc) == ("incremental", True)


def table_rows(warehouse, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as con:
        return sorted(con.execute(f"select * from {table}").fetchall(), key=str)
