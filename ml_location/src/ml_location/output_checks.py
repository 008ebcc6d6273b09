"""Checks on what the ML assets write, evaluated in the step that writes it (no extra step, no second read):
keys unique, values present where a model or a reader needs them, and the expected number of rows.

All blocking: a feature table with duplicated keys or missing values is not trained or scored on, and
predictions that miss customers or products are not presented as complete (automation waits for them to
pass too: `all_deps_blocking_checks_passed`)."""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

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


def keys_unique(frame: pd.DataFrame, keys: Sequence[str]) -> dg.AssetCheckResult:
    duplicated = frame[frame.duplicated(list(keys), keep=False)]
    repeated = duplicated.drop_duplicates(list(keys))
    sample = ", ".join(
        str(tuple(row)) if len(keys) > 1 else str(row[0]) for row in repeated[list(keys)].head(SAMPLE).to_numpy()
    )
    return dg.AssetCheckResult(
        check_name=KEYS_UNIQUE,
        passed=repeated.empty,
        description=(
            f"Every ({', '.join(keys)}) appears once in {len(frame):,} rows."
            if repeated.empty
            else f"{len(repeated):,} ({', '.join(keys)}) appear more than once, in {len(duplicated):,} rows, "
            f"e.g. {sample}."
        ),
        metadata={"rows": len(frame), "duplicated_keys": len(repeated)},
    )


def values_present(parts: Sequence[tuple[str, pd.DataFrame, Sequence[str]]]) -> dg.AssetCheckResult:
    """`parts`: (which rows, those rows, the columns that must hold a value in them)."""
    missing = {
        f"{column} ({label})" if label else column: int(rows[column].isna().sum())
        for label, rows, columns in parts
        for column in columns
    }
    missing = {column: n for column, n in missing.items() if n}
    return dg.AssetCheckResult(
        check_name=VALUES_PRESENT,
        passed=not missing,
        description=(
            "Every required column holds a value in every row."
            if not missing
            else "Missing values: " + ", ".join(f"{column}: {n:,} rows" for column, n in missing.items()) + "."
        ),
        metadata={"columns_with_nulls": len(missing)},
    )


def row_count(check_name: str, rows: int, expected: int, what: str) -> dg.AssetCheckResult:
    """`what`: the expected rows in words ("the 4,000 customers of customer_order_summary")."""
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=rows == expected,
        description=f"{rows:,} rows, {'one' if rows == expected else 'expected one'} per {what}.",
        metadata={"rows": rows, "expected_rows": expected},
    )
