"""Orders of several lines, end to end through `dbt build`: the marts against an independent pandas
computation over the raw lines (orders counted once, units and revenue over lines, average order value
per order), and every line that breaks an order's rules quarantined with its own reason.

The raw file is written here line by line, each bad line with the reason it must get, so the test does
not depend on what the generator happens to produce."""

import io
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest

CUSTOMERS = """
customer_id,name,email,signup_date,tier
1,Ada,ada@example.com,2024-01-01,premium
2,Bob,bob@example.com,2024-01-02,basic
3,Cy,cy@example.com,2024-01-03,basic
"""

PRODUCTS = """
product_id,product,category,cost,retail_price,supplier
10,Lamp,home,4.0,10.0,Acme
11,Desk,home,50.0,120.0,Acme
12,Pen,office,0.5,1.5,Acme
"""

CUSTOMER_DIFFERS = (
    "customer_id differs from its order: the order has the customer of most of its lines "
    "(on a tie, of its lowest product_id)"
)
DATE_DIFFERS = (
    "order_date differs from its order: the order has the date of most of its lines "
    "(on a tie, of its lowest product_id)"
)
DUPLICATE = "duplicate order line: another row with this order_id and product_id was kept"

# (raw line, reason it must get or None when it is staged)
LINES = [
    # Order 100: three lines, one customer and date.
    ("100,1,10,2,10.0,2024-03-01", None),
    ("100,1,11,1,100.0,2024-03-01", None),
    ("100,1,12,3,1.5,2024-03-01", None),
    # Order 101: one line, same customer and month as order 100.
    ("101,1,10,1,9.0,2024-03-20", None),
    # Order 102: two lines.
    ("102,2,10,1,10.0,2024-04-02", None),
    ("102,2,12,2,1.25,2024-04-02", None),
    # Order 103: its Desk line names another customer; the two other lines outvote it.
    ("103,1,11,1,110.0,2024-04-05", CUSTOMER_DIFFERS),
    ("103,2,10,1,10.0,2024-04-05", None),
    ("103,2,12,4,1.5,2024-04-05", None),
    # Order 104: two lines on two days, a tie: the Lamp's line (lowest product_id) sets the date, though
    # it comes second in the file.
    ("104,1,11,1,120.0,2024-05-09", DATE_DIFFERS),
    ("104,1,10,3,8.0,2024-05-01", None),
    # Order 105: the Lamp's line sent twice (a retried export); the copy kept is the first by order_date,
    # customer_id, quantity, price: quantity 1, wherever it is in the file.
    ("105,2,10,2,10.0,2024-05-15", DUPLICATE),
    ("105,2,10,1,10.0,2024-05-15", None),
    ("105,2,12,1,1.5,2024-05-15", None),
    # Order 106: a line with a problem of its own does not vote: the Pen line alone sets the order.
    ("106,1,12,2,1.5,2024-06-01", None),
    ("106,2,10,0,10.0,2024-06-07", "quantity is not positive"),
]

HEADER = "order_id,customer_id,product_id,quantity,price,order_date"


@pytest.fixture(scope="module")
def built(new_warehouse):
    warehouse = new_warehouse("order_lines")
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    warehouse.write_raw("orders.csv", "\n".join([HEADER, *(line for line, _ in LINES)]))
    # A quarter of these lines are bad on purpose, above the share that marks a whole file as wrong.
    result = warehouse.dbt("build", "--vars", "{max_rejected_share: 1}")
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse


def rows(warehouse, sql) -> pd.DataFrame:
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(sql).df()


def half_up(value: float) -> float:
    """Rounded to cents as the mart rounds (half up), not as pandas does (half to even)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def expected_staged_lines() -> pd.DataFrame:
    """The raw lines this test says are valid, typed, with their value in cents."""
    staged = "\n".join([HEADER, *(line for line, reason in LINES if reason is None)])
    lines = pd.read_csv(io.StringIO(staged), parse_dates=["order_date"])
    lines["amount"] = (lines["quantity"] * lines["price"]).round(2)
    lines["month"] = lines["order_date"].dt.to_period("M").dt.to_timestamp()
    return lines


def test_lines_that_break_their_order_are_quarantined_with_their_reason(built):
    quarantined = rows(
        built, "select order_id, customer_id, product_id, quantity, order_date, reason from quarantine.rejected_orders"
    )
    got = sorted(",".join(r[:5]) + " -> " + r[5] for r in quarantined.itertuples(index=False, name=None))
    expected = []
    for line, reason in LINES:
        if reason is not None:
            order_id, customer_id, product_id, quantity, _, order_date = line.split(",")
            expected.append(f"{order_id},{customer_id},{product_id},{quantity},{order_date} -> {reason}")
    assert got == sorted(expected)


def test_staging_keeps_one_row_per_line(built):
    staged = rows(built, "select order_id, product_id, customer_id, quantity from staging.stg_orders order by all")
    expected = expected_staged_lines()[["order_id", "product_id", "customer_id", "quantity"]]
    pd.testing.assert_frame_equal(
        staged, expected.sort_values(["order_id", "product_id"]).reset_index(drop=True), check_dtype=False
    )


def test_customer_order_summary_counts_orders_not_lines(built):
    lines = expected_staged_lines()
    per_customer = lines.groupby("customer_id").agg(
        total_orders=("order_id", "nunique"),
        total_spent=("amount", "sum"),
        first_order=("order_date", "min"),
        last_order=("order_date", "max"),
    )
    per_customer["avg_order_value"] = (per_customer["total_spent"] / per_customer["total_orders"]).map(half_up)
    mart = rows(
        built,
        "select customer_id, total_orders, total_spent, avg_order_value, first_order, last_order "
        "from marts.customer_order_summary where total_orders > 0 order by customer_id",
    ).set_index("customer_id")
    pd.testing.assert_frame_equal(mart, per_customer[mart.columns], check_dtype=False, check_index_type=False)
    # Worked out by hand: Ada has orders 100 (20 + 100 + 4.5), 101 (9), 104 (24), 106 (3): 4 orders of
    # 6 staged lines, 160.5 spent, 40.13 per order (40.125 rounded half up).
    assert mart.loc[1].tolist()[:3] == [4, 160.5, 40.13]


def test_product_performance_counts_orders_containing_the_product(built):
    lines = expected_staged_lines()
    per_product = lines.groupby("product_id").agg(
        orders=("order_id", "nunique"), units_sold=("quantity", "sum"), revenue=("amount", "sum")
    )
    mart = rows(
        built, "select product_id, orders, units_sold, revenue from marts.product_performance order by product_id"
    ).set_index("product_id")
    pd.testing.assert_frame_equal(mart, per_product, check_dtype=False, check_index_type=False)


def test_monthly_marts_count_orders_and_sum_lines(built):
    lines = expected_staged_lines()
    customer_months = (
        lines.groupby(["customer_id", "month"])
        .agg(orders=("order_id", "nunique"), revenue=("amount", "sum"))
        .reset_index()
    )
    product_months = (
        lines.groupby(["product_id", "month"])
        .agg(orders=("order_id", "nunique"), units_sold=("quantity", "sum"), revenue=("amount", "sum"))
        .reset_index()
    )
    for mart, expected in (
        ("customer_monthly_activity", customer_months),
        ("product_monthly_sales", product_months),
    ):
        got = rows(built, f"select * from marts.{mart} order by all")
        got["month"] = pd.to_datetime(got["month"])
        pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)
    # Ada's March: orders 100 and 101, four lines.
    assert customer_months.query("customer_id == 1").iloc[0][["orders", "revenue"]].tolist() == [2, 133.5]
