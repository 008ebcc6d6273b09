"""Bad input, one test per class: each ends in a quarantine row with its reason (and the build goes on)
or in one clear message naming the file (and nothing is built), and raw = staged + rejected holds."""

import gzip

import duckdb
import pytest
from marts import mart_states

HEADERS = {
    "customers": "customer_id,name,email,signup_date,tier",
    "products": "product_id,product,category,cost,retail_price,supplier",
    "orders": "order_id,customer_id,product_id,quantity,price,order_date",
}

# class -> {table: [CSV lines appended to the clean file]}, [(table, column, value, reason it must get)]
ROW_CLASSES = {
    "null_keys": (
        {
            "orders": [",1,1,1,5.55,2024-01-01"],
            "customers": [",Nil,nil@example.com,2024-01-01,basic"],
            "products": [",Ghost,home,1.0,2.0,Acme"],
        },
        [
            ("orders", "price", "5.55", "order_id is null"),
            ("customers", "name", "Nil", "customer_id is null"),
            ("products", "product", "Ghost", "product_id is null"),
        ],
    ),
    "negative_quantity": (
        {"orders": ["900001,1,1,-3,5.0,2024-01-01", "900002,1,1,0,5.0,2024-01-01"]},
        [
            ("orders", "order_id", "900001", "quantity is not positive"),
            ("orders", "order_id", "900002", "quantity is not positive"),
        ],
    ),
    "unknown_customer_or_product": (
        {"orders": ["900003,99999,1,1,5.0,2024-01-01", "900004,1,99999,1,5.0,2024-01-01"]},
        [
            ("orders", "order_id", "900003", "unknown customer_id"),
            ("orders", "order_id", "900004", "unknown product_id"),
        ],
    ),
    # Both copies of each key are appended here, so which one is kept (the first by date, then name) does
    # not depend on the clean data; the two order rows have the same product, so they are duplicates
    # whether orders are keyed by order_id or by (order_id, product_id).
    "duplicate_ids": (
        {
            "orders": ["900005,1,1,1,5.0,2024-01-01", "900005,1,1,1,5.0,2024-06-01"],
            "customers": ["900011,Ada,ada@example.com,2024-01-01,basic", "900011,Bea,bea@example.com,2024-06-01,basic"],
            "products": ["900012,A Lamp,home,1.0,2.0,Acme", "900012,B Lamp,home,1.0,2.0,Acme"],
        },
        [
            ("orders", "order_date", "2024-06-01", "duplicate order line"),
            ("customers", "name", "Bea", "duplicate customer_id"),
            ("products", "product", "B Lamp", "duplicate product_id"),
        ],
    ),
    "bad_dates": (
        {
            "orders": ["900006,1,1,1,5.0,2024-02-30", "900007,1,1,1,5.0,yesterday"],
            "customers": ["777,Eve,eve@example.com,not-a-date,basic"],
        },
        [
            ("orders", "order_id", "900006", "order_date is not a valid date"),
            ("orders", "order_id", "900007", "order_date is not a valid date"),
            ("customers", "customer_id", "777", "signup_date is not a valid date"),
        ],
    ),
    "wrong_types": (
        {
            "orders": [
                "900008,1,1,three,5.0,2024-01-01",
                "900009,1,1,1,abc,2024-01-01",
                "900010,C-17,1,1,5.0,2024-01-01",
            ],
            "products": ["778,Odd,home,cheap,2.0,Acme"],
        },
        [
            ("orders", "order_id", "900008", "quantity is not a valid integer"),
            ("orders", "order_id", "900009", "price is not a valid double"),
            ("orders", "order_id", "900010", "customer_id is not a valid bigint"),
            ("products", "product_id", "778", "cost is not a valid double"),
        ],
    ),
}


CLEAN_CUSTOMERS, CLEAN_PRODUCTS, CLEAN_ORDERS = 50, 10, 400


@pytest.fixture
def clean_csv(warehouse):
    """A clean dataset as CSV, written here rather than generated, so every id and value the bad rows refer
    to is known: customers and products 1..n, orders 1..400 (enough rows that a handful of bad ones stays
    under the rejected-share limit)."""
    rows = {
        "customers": [
            f"{i},Customer {i},customer{i}@example.com,2023-01-01,{('basic', 'premium')[i % 2]}"
            for i in range(1, CLEAN_CUSTOMERS + 1)
        ],
        "products": [f"{i},Product {i},home,{i}.0,{2 * i}.0,Acme" for i in range(1, CLEAN_PRODUCTS + 1)],
        "orders": [
            f"{i},{i % CLEAN_CUSTOMERS + 1},{i % CLEAN_PRODUCTS + 1},{1 + i % 3},{i % 10 + 1}.5,"
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
            for i in range(1, CLEAN_ORDERS + 1)
        ],
    }
    for table, lines in rows.items():
        warehouse.write_raw(f"{table}.csv", "\n".join([HEADERS[table], *lines]))
    return warehouse


def append(warehouse, table: str, lines: list[str]) -> None:
    with (warehouse.raw / f"{table}.csv").open("a") as out:
        out.writelines(line + "\n" for line in lines)


def raw_rows(warehouse, table: str) -> int:
    return len((warehouse.raw / f"{table}.csv").read_text().splitlines()) - 1


@pytest.mark.parametrize("bad_class", ROW_CLASSES)
def test_bad_rows_are_quarantined_with_their_reason(clean_csv, bad_class, figures):
    warehouse = clean_csv
    appended, expected = ROW_CLASSES[bad_class]
    for table, lines in appended.items():
        append(warehouse, table, lines)

    result = warehouse.dbt("build")

    assert result.returncode == 0, result.stdout[-3000:]  # bad rows alone do not fail the build
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        for table, column, value, reason in expected:
            reasons = [
                r
                for (r,) in con.execute(
                    f"select reason from quarantine.rejected_{table} where {column} = ?", [value]
                ).fetchall()
            ]
            assert reasons and all(r.startswith(reason) for r in reasons), (table, value, reasons)
        quarantined = 0
        for table in HEADERS:
            [(staged, rejected)] = con.execute(
                f"select (from staging.stg_{table} select count(*)), (from quarantine.rejected_{table} select count(*))"
            ).fetchall()
            assert staged + rejected == raw_rows(warehouse, table), table
            quarantined += rejected
    # The clean data has no bad row: the quarantine holds exactly the rows expected (a duplicate pair
    # appended adds two rows and quarantines one).
    assert quarantined == len(expected), (bad_class, quarantined)
    appended_rows = sum(map(len, appended.values()))
    figures.setdefault("bad_input", {})[bad_class] = f"{appended_rows} rows appended, {quarantined} quarantined"


def as_parquet(csv_path, parquet_path) -> None:
    rows = f"select * from read_csv('{csv_path}', header = true, all_varchar = true)"
    duckdb.sql(f"copy ({rows}) to '{parquet_path}' (format parquet)")


def truncated_parquet(raw) -> None:
    as_parquet(raw / "orders.csv", raw / "orders.parquet")
    (raw / "orders.csv").unlink()
    data = (raw / "orders.parquet").read_bytes()
    (raw / "orders.parquet").write_bytes(data[: len(data) // 2])


def parquet_named_csv(raw) -> None:
    as_parquet(raw / "customers.csv", raw / "customers.parquet")
    (raw / "customers.parquet").rename(raw / "customers.csv")


def latin1_file(raw) -> None:
    """A whole export in Latin-1: several names with an accent, as one byte each."""
    lines = (raw / "customers.csv").read_text().splitlines()
    lines[1:4] = [line.replace("Customer", "Cust\xe9mer") for line in lines[1:4]]
    (raw / "customers.csv").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


# class -> (how it spoils the clean files, the words the build stops with): a file that cannot be read at all
# (landing_reader.inspect) stops the build the same way as a missing or empty one.
FILE_CLASSES = {
    "empty_file": (lambda raw: (raw / "orders.csv").write_text(""), "orders.csv is empty (0 bytes)"),
    "text_named_parquet": (
        lambda raw: (raw / "orders.csv").rename(raw / "orders.parquet"),
        "orders.parquet is not a Parquet file (it does not start with Parquet's PAR1 marker; it looks like text",
    ),
    "truncated_parquet": (truncated_parquet, "orders.parquet is a truncated Parquet file"),
    "parquet_named_csv": (parquet_named_csv, "customers.csv is a Parquet file named .csv: rename it customers.parquet"),
    "utf16_csv": (
        lambda raw: (raw / "products.csv").write_bytes((raw / "products.csv").read_text().encode("utf-16")),
        "products.csv is UTF-16 text (it starts with a UTF-16 byte-order mark): the contract is UTF-8 CSV",
    ),
    "gzip_named_csv": (
        lambda raw: (raw / "orders.csv").write_bytes(gzip.compress((raw / "orders.csv").read_bytes())),
        "orders.csv is gzip-compressed, not CSV text: export the table itself as a UTF-8 CSV (or Parquet) file",
    ),
    "latin1_file": (latin1_file, "customers.csv is not UTF-8: 3 of its lines hold bytes that are not UTF-8"),
    "carriage_return_line_ends": (
        lambda raw: (raw / "orders.csv").write_bytes((raw / "orders.csv").read_bytes().replace(b"\n", b"\r")),
        "orders.csv ends its lines with carriage returns alone (an old Mac format)",
    ),
    "missing_file": (lambda raw: (raw / "products.csv").unlink(), "products.parquet (or .csv) is missing"),
    "missing_columns": (
        lambda raw: (raw / "orders.csv").write_text(
            "order_id,customer_id,product_id,quantity,order_date\n1,1,1,1,2024-01-01\n"
        ),
        "orders.csv lacks column(s) price",
    ),
    "header_only": (
        lambda raw: (raw / "customers.csv").write_text(HEADERS["customers"] + "\n"),
        "customers.csv has no rows",
    ),
}


@pytest.mark.parametrize("bad_class", FILE_CLASSES)
def test_an_unusable_file_stops_the_build_with_one_clear_message(clean_csv, bad_class, figures):
    spoil, message = FILE_CLASSES[bad_class]
    spoil(clean_csv.raw)
    result = clean_csv.dbt("build")
    assert result.returncode != 0
    assert message in result.stdout
    assert "OK created" not in result.stdout
    figures.setdefault("bad_input", {})[bad_class] = f"build stopped: {message}"


def test_extra_columns_are_named_and_ignored(clean_csv, figures):
    orders = clean_csv.raw / "orders.csv"
    lines = orders.read_text().splitlines()
    orders.write_text("\n".join([lines[0] + ",discount", *(line + ",0.1" for line in lines[1:])]) + "\n")
    result = clean_csv.dbt("build")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "orders.csv has column(s) outside the contract, ignored: discount" in result.stdout
    figures.setdefault("bad_input", {})["extra_columns"] = "named in the build log, ignored"


def test_nothing_downstream_of_a_failed_blocking_check_is_built(clean_csv, figures):
    warehouse = clean_csv
    assert warehouse.dbt("build").returncode == 0
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        before = mart_states(con)
    # A whole file gone wrong: most orders point at products the catalogue does not have.
    rows = raw_rows(warehouse, "orders")
    append(warehouse, "orders", [f"{950000 + i},1,99999,1,5.0,2024-01-01" for i in range(rows)])

    result = warehouse.dbt("build")

    assert result.returncode != 0
    assert "FAIL 1 stg_orders_rejected_share_below_limit" in result.stdout
    with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
        assert mart_states(con) == before  # the marts still hold the last good build
    figures.setdefault("bad_input", {})["file_mostly_rejected"] = "blocking check failed, marts kept"


def test_dbt_docs_need_the_project_not_the_raw_files(warehouse):
    """`make docs` on a fresh machine: no raw file delivered, nothing built, and the docs still generate."""
    result = warehouse.dbt("docs", "generate")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Raw landing files" not in result.stdout
