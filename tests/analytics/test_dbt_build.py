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


def rejected_share(warehouse, table: str) -> float:
    [(raw_rows, rejected_rows)] = query(warehouse, f"select count(*), count(reason) from intermediate.checked_{table}")
    return rejected_rows / raw_rows


def test_bad_rows_do_not_fail_the_build_and_warn_only_above_the_stated_share(constructed):
    warehouse, result = constructed
    assert result.returncode == 0, result.stdout[-3000:]
    for table in CONSTRUCTED_REJECTS:
        test = f"rejected_{table}_share_below_warning"
        warned = rejected_share(warehouse, table) > 0.05  # var warn_rejected_share in dbt_project.yml
        assert (f"WARN 1 {test}" if warned else f"PASS {test}") in result.stdout, (table, warned)


def test_the_quarantine_warning_follows_var_warn_rejected_share(constructed):
    """Just below the orders' rejected share the test warns; just above it, it passes."""
    warehouse, _ = constructed
    share, test = rejected_share(warehouse, "orders"), "rejected_orders_share_below_warning"
    assert share > 0
    below = warehouse.dbt("test", "--select", test, "--vars", f"{{warn_rejected_share: {share * 0.99}}}")
    above = warehouse.dbt("test", "--select", test, "--vars", f"{{warn_rejected_share: {share * 1.01}}}")
    assert below.returncode == 0 and f"WARN 1 {test}" in below.stdout, below.stdout[-2000:]
    assert above.returncode == 0 and f"PASS {test}" in above.stdout, above.stdout[-2000:]


def test_every_kind_of_bad_order_is_quarantined_with_its_reason(built):
    warehouse, summary, _ = built
    reasons = [r for (r,) in query(warehouse, "select distinct reason from quarantine.rejected_orders")]
    assert set(REASON_FOR_FAULT) == set(ORDER_FAULTS)
    for fault, count in summary.broken["orders"].items():
        assert count > 0
        matching = [r for r in reasons if r.startswith(REASON_FOR_FAULT[fault])]
        assert matching, f"no rejected order says {REASON_FOR_FAULT[fault]!r}; reasons: {reasons}"


@pytest.mark.parametrize("table", ["customers", "products", "orders"])
def test_every_raw_row_is_either_staged_or_rejected(constructed, table):
    warehouse, _ = constructed
    raw_file = warehouse.raw / f"{table}.csv"
    [(raw_rows, staged, rejected)] = query(
        warehouse,
        f"select (select count(*) from read_csv('{raw_file}', all_varchar = true)), "
        f"(select count(*) from staging.stg_{table}), (select count(*) from quarantine.rejected_{table})",
    )
    assert rejected == sum(CONSTRUCTED_REJECTS[table].values())
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


# Bad rows appended to clean generated data, one group per reason: table -> {reason prefix: rows}. Fresh
# ids (99000x), and ids 1 and 2, which the generator always writes, as the valid references. The duplicate
# order pair has the same product, customer and date, so it is a duplicate however orders are keyed.
CONSTRUCTED_ROWS = {
    "orders": {
        "customer_id is null": ["990001,,1,1,5.0,2024-01-01"],
        "unknown customer_id": ["990002,99999,1,1,5.0,2024-01-01", "990003,99998,2,1,5.0,2024-01-01"],
        "unknown product_id": ["990004,1,99999,1,5.0,2024-01-01"],
        "quantity is not positive": ["990005,1,1,0,5.0,2024-01-01", "990006,2,1,-2,5.0,2024-01-01"],
        "price is negative": ["990007,1,1,1,-5.0,2024-01-01"],
        "order_date is null": ["990008,1,1,1,5.0,"],
        "duplicate order": ["990009,1,1,1,5.0,2024-01-01", "990009,1,1,1,5.0,2024-01-01"],
    },
    "customers": {
        "customer_id is null": [",Nil,nil@example.com,2024-01-01,basic"],
        "duplicate customer_id": [
            "990001,Ada,ada@example.com,2024-01-01,basic",
            "990001,Bea,b@example.com,2024-06-01,basic",
        ],
    },
    "products": {
        "product_id is null": [",Ghost,home,1.0,2.0,Acme"],
        "cost is negative": ["990001,Lamp,home,-1.0,2.0,Acme"],
    },
}
# How many rows each reason quarantines: every row, but one copy of a duplicated key is kept.
CONSTRUCTED_REJECTS = {
    table: {reason: len(rows) - reason.startswith("duplicate") for reason, rows in reasons.items()}
    for table, reasons in CONSTRUCTED_ROWS.items()
}


@pytest.fixture(scope="module")
def constructed(new_warehouse):
    warehouse = new_warehouse("constructed")
    warehouse.generate(orders=2_000, seed=5, bad_rate=0, fmt="csv")
    for table, reasons in CONSTRUCTED_ROWS.items():
        with (warehouse.raw / f"{table}.csv").open("a") as out:
            out.writelines(f"{row}\n" for rows in reasons.values() for row in rows)
    return warehouse, warehouse.dbt("build")


@pytest.mark.parametrize("table", CONSTRUCTED_ROWS)
def test_each_bad_row_is_quarantined_once_with_its_reason(constructed, table):
    warehouse, result = constructed
    assert result.returncode == 0, result.stdout[-3000:]
    reasons = dict(query(warehouse, f"select reason, count(*) from quarantine.rejected_{table} group by reason"))
    by_prefix = {
        prefix: sum(n for reason, n in reasons.items() if reason.startswith(prefix))
        for prefix in CONSTRUCTED_ROWS[table]
    }
    assert by_prefix == CONSTRUCTED_REJECTS[table]
    assert sum(reasons.values()) == sum(CONSTRUCTED_REJECTS[table].values()), reasons  # and nothing else
