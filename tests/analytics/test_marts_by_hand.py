"""The marts and the quarantine on a dataset small enough to compute by hand: a customer without orders,
an unsold product, and one row of each bad kind. The expected values below were worked out on paper."""

import datetime as dt

import duckdb
import pytest

CUSTOMERS = """
customer_id,name,email,signup_date,tier
1,Ada,ada@example.com,2024-01-01,premium
2,Bob,bob@example.com,2024-01-02,basic
3,Cy,cy@example.com,2024-01-03,basic
6,Fay,fay@example.com,2024-01-06, Premium
,Nil,nil@example.com,2024-01-04,basic
4,Gus,gus@example.com,2024-01-05,gold
2,Bob Again,bob2@example.com,2024-02-01,basic
5,Eve,eve@example.com,not a date,premium
"""

PRODUCTS = """
product_id,product,category,cost,retail_price,supplier
10,Lamp,home,4.0,10.0,Acme
11,Desk,home,50.0,120.0,Acme
,Ghost,home,1.0,2.0,Acme
12,Broken,home,-1.0,5.0,Acme
10,Lamp Copy,home,4.5,11.0,Acme
"""

ORDERS = """
order_id,customer_id,product_id,quantity,price,order_date
100,1,10,2,10.0,2024-03-01
101,1,10,1,8.0,2024-04-15
102,2,10,3,9.5,2024-03-20
103,6,10,1,10.0,2024-05-01
104,,10,1,10.0,2024-03-01
105,99,10,1,10.0,2024-03-01
106,4,10,1,10.0,2024-03-01
107,1,99,1,10.0,2024-03-01
108,1,12,1,10.0,2024-03-01
109,1,10,0,10.0,2024-03-01
110,1,10,-2,10.0,2024-03-01
111,1,10,1,-1.0,2024-03-01
112,1,10,1,10.0,
100,2,10,5,1.0,2024-06-01
113,1,10,abc,10.0,2024-03-01
"""

D = dt.date


@pytest.fixture(scope="module")
def built(new_warehouse):
    warehouse = new_warehouse("by_hand")
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    warehouse.write_raw("orders.csv", ORDERS)
    # Most rows here are bad on purpose, far above the share that marks a whole file as wrong.
    result = warehouse.dbt("build", "--vars", "{max_rejected_share: 1}")
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse


def rows(warehouse, sql):
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_customer_order_summary(built):
    assert rows(built, "from marts.customer_order_summary order by customer_id") == [
        (1, "Ada", "premium", 2, 28.0, 14.0, D(2024, 3, 1), D(2024, 4, 15)),
        (2, "Bob", "basic", 1, 28.5, 28.5, D(2024, 3, 20), D(2024, 3, 20)),
        (3, "Cy", "basic", 0, 0.0, None, None, None),
        (6, "Fay", "premium", 1, 10.0, 10.0, D(2024, 5, 1), D(2024, 5, 1)),
    ]


def test_product_performance(built):
    # Lamp: units 2+1+3+1 = 7, revenue 20+8+28.5+10 = 66.5, cost 7*4 = 28, margin 38.5/66.5 = 57.894..%
    assert rows(built, "from marts.product_performance order by product_id") == [
        (10, "Lamp", "home", "Acme", 4.0, 10.0, 4, 7, 66.5, 28.0, 38.5, 57.89),
        (11, "Desk", "home", "Acme", 50.0, 120.0, 0, 0, 0.0, 0.0, 0.0, None),
    ]


def test_monthly_marts(built):
    assert rows(built, "from marts.customer_monthly_activity order by all") == [
        (1, D(2024, 3, 1), 1, 20.0),
        (1, D(2024, 4, 1), 1, 8.0),
        (2, D(2024, 3, 1), 1, 28.5),
        (6, D(2024, 5, 1), 1, 10.0),
    ]
    assert rows(built, "from marts.product_monthly_sales order by all") == [
        (10, D(2024, 3, 1), 2, 5, 48.5),
        (10, D(2024, 4, 1), 1, 1, 8.0),
        (10, D(2024, 5, 1), 1, 1, 10.0),
    ]


def test_each_bad_row_is_quarantined_whole_with_its_reason(built):
    assert rows(built, "select order_id, order_date, reason from quarantine.rejected_orders order by all") == [
        ("100", "2024-06-01", "duplicate order line: another row with this order_id and product_id was kept"),
        ("104", "2024-03-01", "customer_id is null"),
        ("105", "2024-03-01", "unknown customer_id: not among the staged customers"),
        (
            "106",
            "2024-03-01",
            "unknown customer_id: not among the staged customers",
        ),  # its customer is rejected
        ("107", "2024-03-01", "unknown product_id: not among the staged products"),
        ("108", "2024-03-01", "unknown product_id: not among the staged products"),  # its product is rejected
        ("109", "2024-03-01", "quantity is not positive"),
        ("110", "2024-03-01", "quantity is not positive"),
        ("111", "2024-03-01", "price is negative"),
        ("112", None, "order_date is null"),
        ("113", "2024-03-01", "quantity is not a valid integer"),
    ]
    assert rows(built, "select customer_id, name, reason from quarantine.rejected_customers order by all") == [
        ("2", "Bob Again", "duplicate customer_id: another row with this customer_id was kept"),
        ("4", "Gus", "tier is not basic or premium"),
        ("5", "Eve", "signup_date is not a valid date"),
        (None, "Nil", "customer_id is null"),
    ]
    assert rows(built, "select product_id, product, reason from quarantine.rejected_products order by all") == [
        ("10", "Lamp Copy", "duplicate product_id: another row with this product_id was kept"),
        ("12", "Broken", "cost is negative"),
        (None, "Ghost", "product_id is null"),
    ]


def test_raw_rows_are_staged_plus_rejected(built):
    for table, raw in (("customers", CUSTOMERS), ("products", PRODUCTS), ("orders", ORDERS)):
        raw_rows = len(raw.strip().splitlines()) - 1
        [(staged, rejected)] = rows(
            built,
            f"select (from staging.stg_{table} select count(*)), (from quarantine.rejected_{table} select count(*))",
        )
        assert staged + rejected == raw_rows, table
