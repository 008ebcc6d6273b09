"""Malformed CSV lines, one test per class: each bad line becomes one row of quarantine.rejected_<table> with
its line number, its text as received and the reason; every other line of the same file is staged, and raw
lines = staged + rejected holds, counting lines (a blank line is no line). On PostgreSQL the same, through
`make load-raw` (tests/postgres/test_raw_files_on_postgres.py)."""

import duckdb
import pytest
import test_bad_input
from test_bad_input import CLEAN_CUSTOMERS, CLEAN_ORDERS

clean_csv = test_bad_input.clean_csv  # the fixture: a clean CSV dataset

CLEAN = {"orders": CLEAN_ORDERS, "customers": CLEAN_CUSTOMERS}
GOOD_ORDER = b"900100,1,1,1,5.0,2024-01-01"

# class -> (table, bytes appended to its clean CSV, [(line number, line_text, reason)] it must quarantine,
# lines of it that must be staged). The clean file's header is line 1 and its rows lines 2..n+1.
LINE_CLASSES = {
    "one_field_too_many": (
        "orders",
        b"900001,1,1,1,5.0,2024-01-01,extra\n" + GOOD_ORDER + b"\n",
        [(402, "900001,1,1,1,5.0,2024-01-01,extra", "line 402 has 7 fields, the header has 6")],
        1,
    ),
    "fields_too_few": (
        "orders",
        b"900002,1,1\n",
        [(402, "900002,1,1", "line 402 has 3 fields, the header has 6")],
        0,
    ),
    "carriage_return_in_a_field": (
        "orders",
        b"900003,1,1\r,1,5.0,2024-01-01\n" + GOOD_ORDER + b"\n",
        [(402, "900003,1,1\r,1,5.0,2024-01-01", "line 402 has a carriage return inside an unquoted field")],
        1,
    ),
    "a_byte_not_utf8": (
        "customers",
        b"900004,Jos\xe9,jose@example.com,2024-01-01,basic\n900005,Jos\xc3\xa9,j2@example.com,2024-01-01,basic\n",
        [(52, "900004,Jos\\xe9,jose@example.com,2024-01-01,basic", "line 52 holds bytes that are not UTF-8 (\\xe9)")],
        1,  # the second line's é is UTF-8: staged
    ),
    "a_quote_never_closed": (
        "orders",
        b'900006,1,"1,1,5.0,2024-01-01\n' + GOOD_ORDER + b"\n",
        [(402, '900006,1,"1,1,5.0,2024-01-01', "line 402 opens a quote that does not close on that line")],
        1,  # the line after it is read as a line of its own
    ),
    "text_after_a_closing_quote": (
        "orders",
        b'900007,1,"1"x,1,5.0,2024-01-01\n',
        [(402, '900007,1,"1"x,1,5.0,2024-01-01', "line 402 has text after a closing quote")],
        0,
    ),
    "an_export_footer_and_blank_lines": (
        "orders",
        b"\n" + GOOD_ORDER + b"\nTOTAL,,,,,\n\n\n",
        [(404, None, "order_id is not a valid bigint")],  # a line of the right shape: its values are checked
        1,
    ),
}


# What these tests read: the raw checks, staging and quarantine (the marts add minutes to make test, not checks).
SELECTED = ("--select", "+staging +quarantine")


def spoil(warehouse, bad_class: str) -> tuple[str, list, int]:
    table, appended, expected, staged_extra = LINE_CLASSES[bad_class]
    with (warehouse.raw / f"{table}.csv").open("ab") as out:
        out.write(appended)
    return table, expected, staged_extra


def quarantined(con, table: str) -> list[tuple]:
    return con.execute(
        f"select file_line, line_text, reason from quarantine.rejected_{table} order by file_line"
    ).fetchall()


def check_quarantine(rows: list[tuple], expected: list[tuple]) -> None:
    assert len(rows) == len(expected), rows
    for (line, text, reason), (want_line, want_text, want_reason) in zip(rows, expected, strict=True):
        assert (line, text) == (want_line, want_text), (line, text, reason)
        assert reason.startswith(want_reason), reason


@pytest.mark.parametrize("bad_class", LINE_CLASSES)
def test_a_malformed_line_is_quarantined_with_its_line_and_the_rest_is_staged(clean_csv, bad_class):
    table, expected, staged_extra = spoil(clean_csv, bad_class)
    result = clean_csv.dbt("build", *SELECTED)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(clean_csv.analytics_db), read_only=True) as con:
        check_quarantine(quarantined(con, table), expected)
        [(staged,)] = con.execute(f"select count(*) from staging.stg_{table}").fetchall()
        [(raw_lines,)] = con.execute(f"select count(*) from raw.{table}").fetchall()
    assert staged == CLEAN[table] + staged_extra
    lines = [line for line in (clean_csv.raw / f"{table}.csv").read_bytes().split(b"\n")[1:] if line.strip()]
    assert raw_lines == len(lines) == staged + len(expected)


def test_malformed_lines_count_towards_the_circuit_breaker(clean_csv):
    """More than max_rejected_share of a file's lines unreadable: the file is wrong as a whole."""
    with (clean_csv.raw / "orders.csv").open("ab") as out:
        out.writelines(b"%d,1,1\n" % (900000 + i) for i in range(CLEAN_ORDERS))
    result = clean_csv.dbt("build", *SELECTED)
    assert result.returncode != 0
    assert "FAIL 1 stg_orders_rejected_share_below_limit" in result.stdout
