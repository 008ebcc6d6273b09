"""The dbt project on PostgreSQL gives the marts and the quarantine it gives on DuckDB, every row and value,
for the same raw files: generated data, and every class of bad rows of tests/reliability."""

import json
import sys
from pathlib import Path

import psycopg2
from pg_warehouse import COMPARED, BothBackends

sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
import test_bad_input
from test_bad_input import CLEAN_ORDERS, ROW_CLASSES, append

clean_csv = test_bad_input.clean_csv  # the fixture: a clean CSV dataset whose ids the bad rows refer to


# Values each backend must read alike (README: How raw values are read), each in an order line of its own.
HOSTILE_VALUES = {
    "quantity": "007| 7 |+7|1e1|1_000|2.0|2.5|0x10|1,234.50|NaN|Infinity|1e400|.5|5.|1__0|_1|3000000000".split("|"),
    "price": "7|1e1|1_000.5|NaN|nan|Infinity|-inf|1e400|1e-400|.5|5.|0x10|1e7".split("|"),
    "order_date": (
        "2024/1/5|2024-01-05 10:00:00|2024-01-05T10:00|01/05/2024|20240105|5 Jan 2024|2024-02-30|2023-13-01|"
        "epoch|infinity|-inf|99999-01-01|-2024-01-01|2024-1-5| 2024-01-05 |yesterday|today|2023-02-29|2024-02-29"
    ).split("|"),
}


def hostile_lines() -> list[str]:
    line = {"order_id": 0, "customer_id": "1", "product_id": "1", "quantity": "1", "price": "5.0"}
    line["order_date"] = "2024-01-01"
    lines = []
    for column, values in HOSTILE_VALUES.items():
        for value in values:
            row = {**line, "order_id": str(980_000 + len(lines)), column: value}
            lines.append(",".join(f'"{v}"' if "," in v else v for v in row.values()))
    return lines


def build_both(both: BothBackends, *args: str) -> None:
    duck, pg, _ = both.on_both("build", *args)
    assert duck.returncode == 0, duck.stdout[-3000:]
    assert pg.returncode == 0, pg.stdout[-3000:]


def test_generated_data_gives_the_same_marts_and_quarantine(warehouse, analytics_pg_url):
    warehouse.generate(orders=20_000)  # with the generator's share of bad rows of every kind
    both = BothBackends(warehouse, analytics_pg_url)
    build_both(both)
    assert [table for table in COMPARED if both.differences(table)] == [], [both.differences(t) for t in COMPARED]
    # The comparison means something: every table holds rows, the quarantine too.
    assert all(both.postgres_rows(table)[1] for table in COMPARED)
    # PostgreSQL evaluates the casts and the checks once per line (reused_cte(), docs/benchmarks.md): a CTE
    # it inlined would be evaluated again by each reader, twice the build's largest costs.
    for model, cte in (("typed_orders", "typed"), ("checked_orders", "line_checks")):
        assert f"CTE {cte}" in postgres_plan(both, model), f"{model}: {cte} is inlined on PostgreSQL"


def postgres_plan(both: BothBackends, model: str) -> str:
    """PostgreSQL's plan of the select that built `model` (as dbt compiled it in the last build)."""
    results = json.loads((both.warehouse.root / "target-postgres" / "run_results.json").read_text())["results"]
    compiled = next(r["compiled_code"] for r in results if r["unique_id"] == f"model.analytics.{model}")
    with psycopg2.connect(both.pg_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"explain {compiled}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_every_class_of_bad_rows_is_quarantined_alike(clean_csv, analytics_pg_url):
    """All of test_bad_input's row classes at once (their ids do not overlap), and the values of
    HOSTILE_VALUES: one build per backend."""
    for appended, _ in ROW_CLASSES.values():
        for table, lines in appended.items():
            append(clean_csv, table, lines)
    append(clean_csv, "orders", hostile_lines())
    both = BothBackends(clean_csv, analytics_pg_url)
    # All classes together reject 3 of the 13 products: above the share that stops a build, on purpose here.
    build_both(both, "--vars", "{max_rejected_share: 0.5}")
    assert [table for table in COMPARED if both.differences(table)] == [], [both.differences(t) for t in COMPARED]
    for bad_class, (_, expected) in ROW_CLASSES.items():
        for table, column, value, reason in expected:
            columns, rows = both.postgres_rows(f"quarantine.rejected_{table}")
            reasons = [row[-1] for row in rows if row[columns.index(column)] == value]
            assert reasons and all(r.startswith(reason) for r in reasons), (bad_class, table, value, reasons)


def test_a_file_mostly_rejected_stops_the_build_on_postgres_too(clean_csv, analytics_pg_url):
    """rejected_share_at_most divides a count by a count: in integers, PostgreSQL would make every share
    below 1 a 0 and never fire. (On DuckDB: test_bad_input.py.)"""
    both = BothBackends(clean_csv, analytics_pg_url)
    both.load_postgres()
    assert both.dbt_postgres("build").returncode == 0
    before = both.postgres_rows("marts.product_monthly_sales")[1]
    # 30% of the lines point at a product the catalogue does not have: above the 20% limit.
    extra = CLEAN_ORDERS * 3 // 7 + 1
    append(clean_csv, "orders", [f"{950000 + i},1,99999,1,5.0,2024-01-01" for i in range(extra)])
    both.load_postgres()

    result = both.dbt_postgres("build")

    assert result.returncode != 0
    assert "FAIL 1 stg_orders_rejected_share_below_limit" in result.stdout, result.stdout[-3000:]
    assert sorted(both.postgres_rows("marts.product_monthly_sales")[1]) == sorted(before)


def test_a_share_under_the_limit_does_not_stop_the_build(clean_csv, analytics_pg_url):
    both = BothBackends(clean_csv, analytics_pg_url)
    extra = CLEAN_ORDERS * 3 // 7 + 1  # 30% of all lines rejected, under a limit of 31%
    append(clean_csv, "orders", [f"{950000 + i},1,99999,1,5.0,2024-01-01" for i in range(extra)])
    both.load_postgres()
    result = both.dbt_postgres("build", "--select", "+stg_orders", "--vars", "{max_rejected_share: 0.31}")
    assert result.returncode == 0, result.stdout[-3000:]
