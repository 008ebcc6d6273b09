"""The raw contract, fuzzed: hostile raw files are either quarantined row by row or refused as a whole file
with the one raw-file message; never a failed model or test, never a bad value staged.

Each example writes raw customers, products and orders (CSV or Parquet, hostile_raw.RAW_FILES) into a
temporary warehouse and runs `dbt build` in this process, then checks:
1. the build succeeds, or, when a file is unusable as a whole (empty, header only, a contract column
   missing), stops with the raw-file error naming every such file, before building anything;
2. for every table, rows written = staged + rejected, and every rejected row has a reason; each malformed
   CSV line (hostile_raw.MALFORMED_LINES) is one rejected row with its line number and the reason's words;
3. every staged row keeps the contract: the contract types, one row per key (hostile_raw.KEYS), finite
   money under its limit, positive quantities under theirs, known customers and products, dates in range, a known tier;
4. every staged value is the one the raw file holds, read as the contract says (no silent rounding);
5. every data test of error severity passes (a build that succeeds has run them all).
max_rejected_share is lifted so that the marts and their tests run on every example, however many
of its few rows are hostile (the share test has its own tests in tests/reliability)."""

import datetime as dt
import math
import os
import re
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from dbt_in_process import build
from hostile_raw import CONTRACT, KEYS, RAW_FILES, RawFile, expected_file_errors
from hypothesis import example, given

DUCKDB_TYPES = {"bigint": "BIGINT", "integer": "INTEGER", "double": "DOUBLE", "date": "DATE", "varchar": "VARCHAR"}
ALL_PASSED = {"success", "pass", "warn"}
NOT_BUILT = "exposure"  # dbt build lists the ML team's exposures (models/_exposures.yml) as no-op results


def found_before() -> dict[str, RawFile]:
    """The values that were staged before issue 18, in one example that runs every time: non-finite money
    (CSV text and Parquet doubles), a fraction as a quantity (staged rounded), words and far years as
    dates, a finite price whose amount overflowed DECIMAL(18,2). Beside them, lenient values the contract
    accepts (README), which must be staged as what they say."""

    def customer(customer_id, signup_date, tier="basic"):
        return {"customer_id": customer_id, "name": "Ada", "email": "a@x", "signup_date": signup_date, "tier": tier}

    def order(order_id, quantity, price, order_date="2024-01-05"):
        ids = {"order_id": order_id, "customer_id": "1", "product_id": "1"}
        return {**ids, "quantity": quantity, "price": price, "order_date": order_date}

    def product(product_id, cost, retail_price=2.0):
        return {
            "product_id": product_id,
            "product": "Lamp",
            "category": "home",
            "cost": cost,
            "retail_price": retail_price,
            "supplier": "Acme",
        }

    product_types = {
        "product_id": pa.int64(),
        "product": pa.string(),
        "category": pa.string(),
        "cost": pa.float64(),
        "retail_price": pa.float64(),
        "supplier": pa.string(),
    }
    return {
        "customers": RawFile(
            "customers",
            [
                customer("1", "2024-01-01"),
                customer("2", "epoch"),
                customer("3", "0971-11-06"),
                customer("4", "99999-01-01"),
                customer("5", "-2024-01-01"),
                customer(" 006", "2024/1/5", " PREMIUM"),
            ],
            "csv",
        ),
        "products": RawFile(
            "products",
            [
                product(1, 1.0),
                product(2, math.nan),
                product(3, 1.0, math.inf),
                product(4, -math.inf),
            ],
            "parquet",
            arrow_types=product_types,
        ),
        "orders": RawFile(
            "orders",
            [
                order("1", "1", "5.0"),
                order("2", "2.5", "5.0"),
                order("3", "1", "NaN"),
                order("4", "1", "-Infinity"),
                order("5", "20", "1e17"),
                order("6", "1", "1e400"),
                order("7", "2.0", "1e1"),
                order("8", "1", "5.0", "epoch"),
            ],
            "csv",
        ),
    }


@given(files=RAW_FILES)
@example(files=found_before())
def test_hostile_raw_files_are_quarantined_or_refused(files: dict[str, RawFile]):
    started = time.monotonic()
    try:
        outcome = check_build(files)
    except BaseException as error:
        outcome = f"FAILED {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        raise
    finally:
        log_example(files, outcome, time.monotonic() - started)


def log_example(files: dict[str, RawFile], outcome: str, seconds: float) -> None:
    """One line per example in $FUZZ_LOG, when set: `make fuzz`'s progress and its figures."""
    if log := os.environ.get("FUZZ_LOG"):
        shapes = " ".join(f"{f.name}:{f.problem or len(f.rows)}" for f in files.values())
        with open(log, "a") as out:
            out.write(f"{time.strftime('%H:%M:%S')} {seconds:5.1f}s {shapes} {outcome}\n")


def check_build(files: dict[str, RawFile]) -> str:
    """Writes the files, builds them, checks the invariants; says how the build ended."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        warehouse = Path(tmp) / "warehouse"
        (warehouse / "raw").mkdir(parents=True)
        for raw_file in files.values():
            raw_file.write(warehouse / "raw")

        result = build(warehouse)

        file_errors = expected_file_errors(files)
        if file_errors:
            message = str(result.exception)
            assert not result.success and result.result is None, "an unusable raw file must stop the build"
            assert message.startswith("Compilation Error") and "Raw landing files in" in message, message
            for phrase in file_errors:
                assert re.search(rf"/raw/{re.escape(phrase)}", message), (phrase, message)
            return "refused"
        assert result.exception is None, f"the build stopped: {result.exception}"
        failed = [
            f"{r.node.name}: {r.status}: {r.message}"
            for r in result.result.results
            if r.node.resource_type != NOT_BUILT and str(r.status) not in ALL_PASSED
        ]
        assert result.success and not failed, "\n".join(failed)

        # dbt-duckdb keeps its database open in this process after the build: a read-only connection
        # would conflict with it, a plain one shares it.
        with duckdb.connect(str(warehouse / "analytics.duckdb")) as con:
            for raw_file in files.values():
                check_table(con, raw_file)
            check_staged_orders(con)
        return "built"


def check_table(con, raw_file: RawFile) -> None:
    table, columns = raw_file.table, CONTRACT[raw_file.table]
    staged, rejected, no_reason = con.execute(
        f"select (select count(*) from staging.stg_{table}), (select count(*) from quarantine.rejected_{table}),"
        f" (select count(*) from quarantine.rejected_{table} where coalesce(reason, '') = '')"
    ).fetchone()
    assert staged + rejected == raw_file.data_rows(), (table, raw_file.data_rows(), staged, rejected)
    assert no_reason == 0, f"{table}: {no_reason} rejected rows without a reason"
    unreadable = con.execute(
        f"select file_line, reason from quarantine.rejected_{table} where line_text is not null order by file_line"
    ).fetchall()
    assert len(unreadable) == len(raw_file.malformed_at), (table, unreadable, raw_file.malformed_at)
    for (line, reason), (written_at, words) in zip(unreadable, raw_file.malformed_at, strict=True):
        assert line == written_at and reason.startswith(f"line {line} ") and words in reason, (
            table,
            line,
            reason,
            written_at,
            words,
        )

    types = dict(con.execute(f"select column_name, column_type from (describe staging.stg_{table})").fetchall())
    for column, data_type in columns.items():
        assert types[column] == DUCKDB_TYPES[data_type], (table, column, types[column])

    key = ", ".join(KEYS[table])
    [(duplicates,)] = con.execute(
        f"select count(*) from (select {key} from staging.stg_{table} group by all having count(*) > 1)"
    ).fetchall()
    assert duplicates == 0, f"{table}: {duplicates} keys staged more than once"

    cursor = con.execute(f"select {', '.join(columns)} from staging.stg_{table}")
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        assert all(row[key] is not None for key in KEYS[table]), (table, row)
        for column, data_type in columns.items():
            check_value(table, column, data_type, row[column])
        assert any(matches(row, raw_row, raw_file) for raw_row in raw_file.rows), (
            f"{table}: staged row {row} is none of the raw rows as the contract reads them: {raw_file.rows}"
        )


def check_value(table: str, column: str, data_type: str, value) -> None:
    """The contract, restated independently of the SQL that enforces it."""
    required = {
        "customers": {"customer_id", "tier"},
        "products": {"product_id", "cost"},
        "orders": set(CONTRACT["orders"]),
    }
    if value is None:
        assert column not in required[table], f"{table}.{column} staged as null"
        return
    if data_type == "double":
        assert math.isfinite(value) and 0 <= value < 10_000_000, f"{table}.{column} staged as {value}"
    if column == "quantity":
        assert 0 < value < 100_000, f"{table}.quantity staged as {value}"
    if data_type == "date":
        assert dt.date(1900, 1, 1) <= value <= dt.date(2199, 12, 31), f"{table}.{column} staged as {value}"
    if column == "tier":
        assert value in ("basic", "premium"), f"{table}.tier staged as {value!r}"


def check_staged_orders(con) -> None:
    """Orders point at staged customers and products; all lines of one order agree on who and when."""
    [(dangling, disagreeing)] = con.execute(
        """
        select
            (select count(*) from staging.stg_orders
             where customer_id not in (select customer_id from staging.stg_customers)
                or product_id not in (select product_id from staging.stg_products)),
            (select count(*) from (select order_id from staging.stg_orders group by order_id
             having count(distinct customer_id) > 1 or count(distinct order_date) > 1))
        """
    ).fetchall()
    assert dangling == 0, f"{dangling} staged orders point at no staged customer or product"
    assert disagreeing == 0, f"{disagreeing} staged orders have lines with different customers or dates"


def matches(staged: dict, raw_row: dict, raw_file: RawFile) -> bool:
    return all(
        same_value(staged[column], raw_row.get(column), column, data_type, raw_file.fmt)
        for column, data_type in CONTRACT[raw_file.table].items()
    )


def same_value(staged, raw, column: str, data_type: str, fmt: str) -> bool:
    """Whether `staged` is `raw` read as the contract says (docs/raw-contract.md):
    numbers as Python reads them (surrounding blanks, exponents, `2.0` for an integer), dates as ISO
    days, text exactly as written (an empty CSV field is null)."""
    if raw is None or (fmt == "csv" and raw == ""):
        return staged is None
    if staged is None:
        return False
    if data_type in ("bigint", "integer", "double"):
        try:
            number = float(raw.strip()) if isinstance(raw, str) else float(raw)
        except ValueError:
            return False
        return float(staged) == number
    if data_type == "date":
        if isinstance(raw, dt.date):
            return staged == raw
        text = str(raw).strip()
        day = re.match(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})([ T]|$)", text)
        return day is not None and staged == dt.date(*map(int, day.groups()[:3]))
    if column == "tier":
        return raw.strip(" ").lower() == staged  # the one text the contract normalises
    return staged == (raw if isinstance(raw, str) else str(raw))
