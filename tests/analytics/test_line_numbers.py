"""The optional raw column line_number, end to end through `dbt build`: in a file that has it, (order_id,
line_number) identifies a line (the same product may be on two lines of an order, the same line number twice
is a duplicate, an empty or non-integer one is rejected); a file without it is keyed by (order_id, product_id)
as before, in one folder of batches with files that have it. The marts count an order once per product.
On PostgreSQL the same files, through `make load-raw` (tests/postgres/test_line_numbers_on_postgres.py).

Every line is written here with the reason it must get (None: staged), so the test does not depend on the
generator."""

import csv
import io
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_landing import Pair

CUSTOMERS = """
customer_id,name,email,signup_date,tier
1,Ada,ada@example.com,2024-01-01,premium
2,Bob,bob@example.com,2024-01-02,basic
"""

PRODUCTS = """
product_id,product,category,cost,retail_price,supplier
10,Lamp,home,4.0,10.0,Acme
11,Desk,home,50.0,120.0,Acme
12,Pen,office,0.5,1.5,Acme
"""

BY_LINE_NUMBER = "duplicate order line: another row with this order_id and line_number was kept"
BY_PRODUCT = "duplicate order line: another row with this order_id and product_id was kept"
CUSTOMER_DIFFERS = (
    "customer_id differs from its order: the order has the customer of most of its lines "
    "(on a tie, of its lowest line_number)"
)
COLUMNS = ("order_id", "customer_id", "product_id", "quantity", "price", "order_date", "line_number")

# (order_id, customer_id, product_id, quantity, price, order_date, line_number as text or None), reason.
WITH_LINE_NUMBERS = [
    # Order 100: the Lamp on two lines (two line numbers), and a Desk.
    ((100, 1, 10, 2, 10.0, "2024-03-01", "1"), None),
    ((100, 1, 10, 1, 9.0, "2024-03-01", "2"), None),
    ((100, 1, 11, 1, 100.0, "2024-03-01", "3"), None),
    # Order 101: line 1 sent twice with other products: the copy kept is the first by order_date,
    # customer_id, quantity, price (quantity 1), wherever it is in the file.
    ((101, 2, 10, 5, 10.0, "2024-03-02", "1"), BY_LINE_NUMBER),
    ((101, 2, 12, 1, 1.5, "2024-03-02", "1"), None),
    # Order 102: an empty line number in a file that has the column.
    ((102, 2, 10, 1, 10.0, "2024-03-05", None), "line_number is null"),
    ((102, 2, 11, 1, 100.0, "2024-03-05", "2"), None),
    # Order 103: line numbers that are not integers.
    ((103, 1, 12, 1, 1.5, "2024-03-06", "x"), "line_number is not a valid bigint"),
    ((103, 1, 12, 2, 1.5, "2024-03-06", "1.5"), "line_number is not a valid bigint"),
    ((103, 1, 10, 1, 10.0, "2024-03-06", "7"), None),
]
# Order 104: a tie of two customers; the line with the lowest line_number sets the order's, though its
# product_id is the higher one and it comes second in the file.
TIE = [
    ((104, 1, 10, 1, 10.0, "2024-04-01", "2"), CUSTOMER_DIFFERS),
    ((104, 2, 11, 1, 100.0, "2024-04-01", "1"), None),
]
# A file without the column: keyed by product as before, the same product twice a duplicate.
WITHOUT_LINE_NUMBERS = [
    ((105, 1, 10, 2, 10.0, "2024-04-03", None), BY_PRODUCT),
    ((105, 1, 10, 1, 10.0, "2024-04-03", None), None),
    ((105, 1, 12, 1, 1.5, "2024-04-03", None), None),
    ((106, 2, 11, 1, 100.0, "2024-04-04", None), None),
]
SINGLE_FILE = WITH_LINE_NUMBERS + TIE


def csv_text(lines, line_numbers: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS if line_numbers else COLUMNS[:-1])
    for values, _ in lines:
        row = ["" if v is None else str(v) for v in values]
        writer.writerow(row if line_numbers else row[:-1])
    return out.getvalue()


def write_parquet(path, lines, line_numbers: str = "text") -> None:
    """`line_numbers`: "text" (every column as text), "typed" (the contract's types: an int64 line_number)
    or "absent" (no such column)."""
    if line_numbers == "text":
        table = pa.table({c: [None if v[i] is None else str(v[i]) for v, _ in lines] for i, c in enumerate(COLUMNS)})
    else:
        types = [pa.int64(), pa.int64(), pa.int64(), pa.int32(), pa.float64(), pa.date32(), pa.int64()]
        data = {
            c: pa.array(
                [date.fromisoformat(v[i]) if c == "order_date" else v[i] for v, _ in lines]
                if c != "line_number"
                else [None if v[i] is None else int(v[i]) for v, _ in lines],
                types[i],
            )
            for i, c in enumerate(COLUMNS)
            if c != "line_number" or line_numbers == "typed"
        }
        table = pa.table(data)
    pq.write_table(table, path)


def land(raw, layout: str) -> list:
    """Writes the orders of `layout` into the raw folder `raw`; the lines written, with their reasons."""
    if layout == "csv":
        (raw / "orders.csv").write_text(csv_text(SINGLE_FILE))
        return SINGLE_FILE
    if layout == "parquet":
        write_parquet(raw / "orders.parquet", SINGLE_FILE)
        return SINGLE_FILE
    # A folder of batches: line numbers in a CSV batch and a typed Parquet batch, none in the third.
    (raw / "orders").mkdir()
    (raw / "orders" / "2024-03-01.csv").write_text(csv_text(WITH_LINE_NUMBERS))
    write_parquet(raw / "orders" / "2024-04-01.parquet", TIE, "typed")
    write_parquet(raw / "orders" / "2024-04-02.parquet", WITHOUT_LINE_NUMBERS, "absent")
    return WITH_LINE_NUMBERS + TIE + WITHOUT_LINE_NUMBERS


def ordered(rows) -> list[tuple]:
    """Sorted in Python, nulls last: the same order whatever the backend's collation."""
    return sorted(rows, key=lambda row: [(value is None, value) for value in row])


def expected_staged(lines) -> list[tuple]:
    """(order_id, line_number, product_id, quantity) of every line that must be staged."""
    return ordered((v[0], None if v[6] is None else int(v[6]), v[2], v[3]) for v, reason in lines if reason is None)


def expected_rejected(lines) -> list[tuple]:
    """(order_id, product_id, quantity, line_number as received, reason) of every line that must be rejected."""
    return ordered((str(v[0]), str(v[2]), str(v[3]), v[6], reason) for v, reason in lines if reason is not None)


STAGED_SQL = "select order_id, line_number, product_id, quantity from staging.stg_orders"
REJECTED_SQL = "select order_id, product_id, quantity, line_number, reason from quarantine.rejected_orders"
PRODUCTS_SQL = "select product_id, orders, units_sold, revenue from marts.product_performance order by product_id"


def expected_products(lines) -> list[tuple]:
    """Per product: orders containing it (once however many lines), units and revenue over its lines."""
    staged = [v for v, reason in lines if reason is None]
    return [
        (
            product,
            len({v[0] for v in staged if v[2] == product}),
            sum(v[3] for v in staged if v[2] == product),
            round(sum(v[3] * v[4] for v in staged if v[2] == product), 2),
        )
        for product in (10, 11, 12)
    ]


@pytest.fixture(scope="module", params=["csv", "parquet", "batches"])
def built(request, new_warehouse):
    warehouse = new_warehouse(f"line_numbers_{request.param}")
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    lines = land(warehouse.raw, request.param)
    # A third of these lines are bad on purpose, above the share that marks a whole file as wrong.
    result = warehouse.dbt("build", "--vars", "{max_rejected_share: 1}")
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse, lines, request.param


def query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_lines_are_staged_by_line_number_and_quarantined_with_their_reason(built):
    warehouse, lines, _ = built
    assert ordered(query(warehouse, STAGED_SQL)) == expected_staged(lines)
    assert ordered(query(warehouse, REJECTED_SQL)) == expected_rejected(lines)


def test_an_order_counts_once_per_product_however_many_lines_hold_it(built):
    warehouse, lines, layout = built
    products = query(warehouse, PRODUCTS_SQL)
    assert products == expected_products(lines)
    # The Lamp: orders 100 (two lines, 3 units) and 103; in the batches, 105 too.
    assert products[0][:3] == ((10, 3, 5) if layout == "batches" else (10, 2, 4))
    monthly = query(warehouse, "select sum(orders), sum(units_sold) from marts.product_monthly_sales")
    assert monthly == [(sum(p[1] for p in products), sum(p[2] for p in products))]
    # The customer marts count orders as before: order 100's four lines are one order of Ada's.
    summary = dict(query(warehouse, "select customer_id, total_orders from marts.customer_order_summary"))
    staged = [v for v, reason in lines if reason is None]
    assert summary == {c: len({v[0] for v in staged if v[1] == c}) for c in (1, 2)}


def test_raw_orders_says_which_files_have_line_numbers(built):
    warehouse, _, layout = built
    has = dict(query(warehouse, "select batch, bool_and(has_line_number) from raw.orders group by batch"))
    expected = {
        "csv": {"orders.csv": True},
        "parquet": {"orders.parquet": True},
        "batches": {"2024-03-01.csv": True, "2024-04-01.parquet": True, "2024-04-02.parquet": False},
    }
    assert has == expected[layout]


def test_a_file_lacking_a_required_column_still_stops_the_build(warehouse):
    warehouse.write_raw("customers.csv", CUSTOMERS)
    warehouse.write_raw("products.csv", PRODUCTS)
    warehouse.write_raw("orders.csv", "order_id,customer_id,product_id,quantity,order_date\n1,1,10,1,2024-01-01")
    result = warehouse.dbt("build")
    assert result.returncode != 0
    assert (
        "orders.csv lacks column(s) price; it has order_id, customer_id, product_id, quantity, order_date; "
        "the contract is order_id, customer_id, product_id, quantity, price, order_date, line_number (optional)"
    ) in result.stdout, result.stdout[-3000:]


def padded(lines, first_id: int, line_numbers: bool = True) -> list:
    """`lines` and 20 valid one-line orders of Pens: a batch a third bad would fail the blocking share check."""
    return lines + [
        ((i, 1, 12, 1, 1.5, "2024-05-01", "1" if line_numbers else None), None) for i in range(first_id, first_id + 20)
    ]


def write_batch(pair: Pair, name: str, lines, line_numbers: str = "typed") -> None:
    path = pair.landing.batches / name
    if name.endswith(".csv"):
        path.write_text(csv_text(lines, line_numbers != "absent"))
    else:
        write_parquet(path, lines, line_numbers)


def test_daily_batches_with_line_numbers_build_as_a_full_refresh_would(pair):
    """After each operation a plain (incremental) build equals a full refresh, every table row by row."""
    first, tie, without = padded(WITH_LINE_NUMBERS, 1000), padded(TIE, 2000), padded(WITHOUT_LINE_NUMBERS, 3000, False)
    write_batch(pair, "2024-03-01.csv", first)
    write_batch(pair, "2024-04-01.parquet", tie)
    pair.check(expect_mode="full")

    write_batch(pair, "2024-04-02.parquet", without, "absent")
    pair.check()
    assert ordered(pair.rows(STAGED_SQL)) == expected_staged(first + tie + without)

    # Re-delivery of the first batch: order 100's second Lamp line is gone, and it now holds a copy of order
    # 104's line 1 (with another quantity): the copy in the earliest batch is kept, the later one quarantined.
    copy = ((104, 2, 11, 3, 100.0, "2024-04-01", "1"), None)
    redelivered = [line for line in first if line[0][6] != "2" or line[0][0] != 100] + [copy]
    write_batch(pair, "2024-03-01.csv", redelivered)
    pair.check()
    assert ordered(pair.rows(REJECTED_SQL)) == ordered(
        [
            *expected_rejected(redelivered + WITHOUT_LINE_NUMBERS + [TIE[0]]),
            ("104", "11", "1", "1", BY_LINE_NUMBER),
        ]
    )
    # The Lamp: orders 100 (one line left), 103 and 105.
    assert pair.rows("select orders, units_sold from marts.product_performance where product_id = 10") == [(3, 4)]

    # The batch without line numbers removed.
    (pair.landing.batches / "2024-04-02.parquet").unlink()
    pair.check()
    assert pair.rows("select count(*) from staging.stg_orders where line_number is null") == [(0,)]


def test_datagen_line_numbers_give_some_orders_a_product_on_two_lines(tmp_path):
    """`python -m datagen --line-numbers`: line numbers 1, 2, ... within each order, a product on two lines of
    a few orders, and the broken duplicates copies of a line's (order_id, line_number); without the flag, no
    such column."""
    from datagen.generate import Sizes, generate

    summary = generate(tmp_path / "with", Sizes.for_orders(20_000), line_numbers=True)
    generate(tmp_path / "without", Sizes.for_orders(20_000))
    with duckdb.connect() as con:
        lines = f"read_parquet('{tmp_path / 'with' / 'orders.parquet'}')"
        repeated = con.execute(
            f"select count(*) from (select order_id, product_id from {lines} group by all having count(*) > 1)"
        ).fetchone()[0]
        copies = con.execute(f"select count(*) - count(distinct (order_id, line_number)) from {lines}").fetchone()[0]
        first_lines = con.execute(
            f"select min(line_number), count(*) filter (line_number is null) from {lines}"
        ).fetchone()
        without = con.execute(f"describe select * from read_parquet('{tmp_path / 'without' / 'orders.parquet'}')")
        assert "line_number" not in [row[0] for row in without.fetchall()]
    assert first_lines == (1, 0)
    assert copies == summary.broken["orders"]["duplicate_line"] > 0
    assert repeated > copies  # the orders holding a product twice, beyond the duplicates' copies
