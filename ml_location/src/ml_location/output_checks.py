"""Checks on what the ML assets write, evaluated in the step that writes it (no extra step, no second read):
keys unique, values present where a model or a reader needs them, and the expected number of rows.

All blocking: a feature table with duplicated keys or missing values is not trained or scored on, and
predictions that miss customers or products are not presented as complete (automation waits for them to
pass too: `all_deps_blocking_checks_passed`)."""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

KEYS_UNIQUE = "keys_unique"
VALUES_PRESENT = "values_present"
SAMPLE = 5  # offending keys shown in a failed check's metadata


@dataclass(frozen=True)
class OutputContract:
    """What one ML asset's table promises: its key, the columns that must hold a value (in which rows), and
    one row-count check."""

    keys: tuple[str, ...]
    required: str  # which columns must hold values, in words, for the check's description
    row_check: str  # the row-count check's name, e.g. one_scoring_row_per_customer
    row_description: str

    def specs(self, asset: str) -> list[dg.AssetCheckSpec]:
        return [
            dg.AssetCheckSpec(
                KEYS_UNIQUE, asset=asset, blocking=True, description=f"One row per ({', '.join(self.keys)})."
            ),
            dg.AssetCheckSpec(VALUES_PRESENT, asset=asset, blocking=True, description=f"No nulls in {self.required}."),
            dg.AssetCheckSpec(self.row_check, asset=asset, blocking=True, description=self.row_description),
        ]


def keys_unique(frame: pd.DataFrame | pa.Table, keys: Sequence[str]) -> dg.AssetCheckResult:
    """One 64-bit hash per row of the key columns, sorted: rows whose hash no other row has are unique, which
    at a panel of millions of rows is all of them, found without a hash table of every key (at 15.6M keys an
    Arrow group-by took 620 MB more and 4.9 s, this 72 MB and 2.6 s; docs/ml-at-scale.md). Only the rows that share
    a hash are grouped exactly; the groups come in the order of their first row, so the sample names the
    first keys repeated."""
    table = frame.select(list(keys)) if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame[list(keys)])
    candidates = rows_sharing_a_hash(table)
    counted = (
        table.take(candidates)
        .append_column("_row", pa.array(candidates))
        .group_by(list(keys), use_threads=False)
        .aggregate([([], "count_all"), ("_row", "min")])
    )
    repeated = counted.filter(pc.greater(counted["count_all"], 1)).sort_by("_row_min")
    sample = ", ".join(
        str(tuple(row[k] for k in keys)) if len(keys) > 1 else str(row[keys[0]])
        for row in repeated.slice(0, SAMPLE).to_pylist()
    )
    duplicated_rows = pc.sum(repeated["count_all"]).as_py() or 0
    return dg.AssetCheckResult(
        check_name=KEYS_UNIQUE,
        passed=repeated.num_rows == 0,
        description=(
            f"Every ({', '.join(keys)}) appears once in {len(frame):,} rows."
            if repeated.num_rows == 0
            else f"{repeated.num_rows:,} ({', '.join(keys)}) appear more than once, in {duplicated_rows:,} rows, "
            f"e.g. {sample}."
        ),
        metadata={"rows": len(frame), "duplicated_keys": repeated.num_rows},
    )


def rows_sharing_a_hash(table: pa.Table) -> np.ndarray:
    """Positions, in order, of the rows whose key columns hash like another row's (every repeated key's rows,
    and rarely a collision, which the exact group-by then sets apart)."""
    hashes = np.zeros(table.num_rows, dtype=np.uint64)
    for column in table.columns:
        hashes *= np.uint64(1_000_003)
        hashes ^= pd.util.hash_array(column.to_pandas().to_numpy())  # nulls (None, NaN, NaT) hash alike
    ordered = np.sort(hashes)
    shared = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    return np.flatnonzero(np.isin(hashes, shared)) if len(shared) else np.array([], dtype=np.int64)


def missing(rows: pd.DataFrame | pa.Table, column: str) -> int:
    """Rows without a value in `column` (null, or NaN in a DataFrame)."""
    return rows[column].null_count if isinstance(rows, pa.Table) else int(rows[column].isna().sum())


def values_present(parts: Sequence[tuple[str, pd.DataFrame | pa.Table, Sequence[str]]]) -> dg.AssetCheckResult:
    """`parts`: (which rows, those rows, the columns that must hold a value in them)."""
    absent = {
        f"{column} ({label})" if label else column: missing(rows, column)
        for label, rows, columns in parts
        for column in columns
    }
    absent = {column: n for column, n in absent.items() if n}
    return dg.AssetCheckResult(
        check_name=VALUES_PRESENT,
        passed=not absent,
        description=(
            "Every required column holds a value in every row."
            if not absent
            else "Missing values: " + ", ".join(f"{column}: {n:,} rows" for column, n in absent.items()) + "."
        ),
        metadata={"columns_with_nulls": len(absent)},
    )


def row_count(check_name: str, rows: int, expected: int, what: str) -> dg.AssetCheckResult:
    """`what`: the expected rows in words ("the 4,000 customers of customer_order_summary")."""
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=rows == expected,
        description=f"{rows:,} rows, {'one' if rows == expected else 'expected one'} per {what}.",
        metadata={"rows": rows, "expected_rows": expected},
    )
