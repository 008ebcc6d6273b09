"""`dbt build` on generated raw data with bad rows: it passes, quarantines every kind of bad row, loses
no row, and the marts agree with each other."""

import duckdb
import pytest

from datagen.generate import ORDER_FAULTS

# What the generator breaks on purpose -> the reason staging gives (a prefix of it).
REASON_FOR_FAULT = {
    "null_customer_id": "customer_id is null",
    "unknown_customer_id": "unknown customer_id",
    "unknown_product_id": "unknown product_id",
    "non_positive_quantity": "quantity is not positive",
    "negative_price": "price is negative",
    "null_order_date": "order_date is null",
    "duplicate_line": "duplicate order line",
    "customer_disagrees": "customer_id differs from its order",
    "date_disagrees": "order_date differs from its order",
}


@pytest.fixture(scope="module")
def built(new_warehouse):
    warehouse = new_warehouse("built")
    summary = warehouse.generate(orders=20_000, seed=7)
    result = warehouse.dbt("build")
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse, summary, result


def query(warehouse, sql):
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_bad_rows_warn_but_do_not_fail_the_build(built):
    warehouse, summary, result = built
    (rejected,) = query(warehouse, "select count(*) from quarantine.rejected_orders")[0]
    assert rejected >= sum(summary.broken["orders"].values())
    assert f"WARN {rejected} no_rejected_rows_rejected_orders" in result.stdout


def test_every_kind_of_bad_order_is_quarantined_with_its_reason(built):
    warehouse, summary, _ = built
    reasons = [r for (r,) in query(warehouse, "select distinct reason from quarantine.rejected_orders")]
    assert set(REASON_FOR_FAULT) == set(ORDER_FAULTS)
    for fault, count in summary.broken["orders"].items():
        assert count > 0
        matching = [r for r in reasons if r.startswith(REASON_FOR_FAULT[fault])]
        assert matching, f"no rejected order says {REASON_FOR_FAULT[fault]!r}; reasons: {reasons}"


@pytest.mark.parametrize("table", ["customers", "products", "orders"])
def test_every_raw_row_is_either_staged_or_rejected(built, table):
    warehouse, _, _ = built
    raw_file = warehouse.raw / f"{table}.parquet"
    [(raw_rows, staged, rejected)] = query(
        warehouse,
        f"select (select count(*) from read_parquet('{raw_file}')), "
        f"(select count(*) from staging.stg_{table}), (select count(*) from quarantine.rejected_{table})",
    )
    assert staged > 0 and rejected > 0
    assert raw_rows == staged + rejected


def test_marts_agree_with_each_other_and_with_staging(built):
    warehouse, _, _ = built
    [row] = query(
        warehouse,
        """
        select
            (select count(distinct order_id) from staging.stg_orders),
            (select sum(total_orders) from marts.customer_order_summary),
            (select sum(orders) from marts.customer_monthly_activity),
            (select count(*) from staging.stg_orders),
            (select sum(orders) from marts.product_performance),
            (select sum(orders) from marts.product_monthly_sales),
            (select sum(amount) from staging.stg_orders),
            (select sum(total_spent::decimal(18, 2)) from marts.customer_order_summary),
            (select sum(revenue::decimal(18, 2)) from marts.product_performance),
            (select count(*) from staging.stg_customers),
            (select count(*) from marts.customer_order_summary),
            (select count(*) from staging.stg_products),
            (select count(*) from marts.product_performance)
        """,
    )
    orders, *customer_sums = row[:3]
    lines, *product_sums = row[3:6]
    revenue, *revenue_sums = row[6:9]
    assert lines > orders  # the generator writes orders of several lines
    assert customer_sums == [orders] * 2  # an order has one customer and one date
    assert product_sums == [lines] * 2  # a line is one order containing one product
    assert revenue_sums == [revenue] * 2  # exact: amounts are cents, and summed as decimals
    assert row[9] == row[10] and row[11] == row[12]  # one mart row per staged customer / product
