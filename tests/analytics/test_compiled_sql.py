"""The SQL a build runs does not depend on what the warehouse holds: `dbt compile` gives every model the same
SQL before and after batches change (which batches, months or customers changed is found by that SQL at run
time), and the same on a new warehouse as on a built one, beyond is_incremental() and the one thing a first
build cannot read: a table of the last build (macros/incremental_batches.sql previous_build), which reads as
no rows of its columns until it exists. So `dbt compile`, `--defer` and slim CI reproduce a build."""

import random
import re
from datetime import date
from pathlib import Path

from batch_landing import dbt_build, line, orders

# A table of the previous build, as previous_build names it, or as it reads before it exists; aliased by its name.
PREVIOUS = re.compile(
    r"(?:\((?:select [^()]*(?:\([^()]*\)[^()]*)*) limit 0\)"
    r'|"[^"]+"\."(?:ledger|intermediate)"\."(?:built_order_batches|built_customers|built_products|typed_orders'
    r'|replaced_order_lines|affected_orders|affected_keys)") as (\w+)'
)


def compiled(warehouse: Path, *args: str) -> dict[str, str]:
    result = dbt_build(warehouse, *args, command="compile")
    assert result.success, result.exception
    folder = warehouse / "target" / "compiled" / "analytics" / "models"
    return {str(path.relative_to(folder)): path.read_text() for path in sorted(folder.rglob("*.sql"))}


def test_compiled_sql_depends_on_no_change_and_only_on_whether_a_build_came_before(pair):
    landing, rng = pair.landing, random.Random(8)
    landing.write("orders", orders(rng, 1, 20, date(2025, 1, 1)), "2025-01-10.parquet")
    landing.write("orders", orders(rng, 30, 20, date(2025, 1, 10)), "2025-01-20.parquet")
    new = compiled(pair.inc, "--full-refresh")
    assert dbt_build(pair.inc).success
    built = compiled(pair.inc)

    # New, re-delivered and removed batches, a tier change: the same SQL.
    landing.write("orders", [*orders(rng, 60, 20, date(2025, 2, 1)), line(1, 3, 11)], "2025-02-01.parquet")
    (landing.batches / "2025-01-10.parquet").unlink()
    landing.write("orders", orders(rng, 90, 5, date(2024, 12, 1)), "2025-01-20.parquet")
    customers = landing.read("customers")
    customers[2]["tier"] = "premium"
    landing.write("customers", customers)
    assert compiled(pair.inc) == built

    # A new warehouse and a built one, both compiled with --full-refresh (is_incremental() is false): the same
    # SQL, once the previous build's tables are read under one name.
    refreshed = compiled(pair.inc, "--full-refresh")
    assert set(refreshed) == set(new)
    differing = [model for model in new if new[model] != refreshed[model]]
    assert differing, "the previous build's tables should read otherwise on a new warehouse"
    assert [
        m for m in differing if PREVIOUS.sub(r"PREVIOUS \1", new[m]) != PREVIOUS.sub(r"PREVIOUS \1", refreshed[m])
    ] == []
