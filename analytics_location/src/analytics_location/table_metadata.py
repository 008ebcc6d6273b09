"""What dagster-dbt fetches from the warehouse after each built model, for the UI: row counts, column
types, and column lineage (sqlglot parses each model's SQL against its parents' columns). Each fetch
queries the warehouse once per model, in the run's process; docs/benchmarks.md measures what they cost.

ANALYTICS_DBT_METADATA chooses, per run process:
  lineage (default)  row counts, column types and column lineage: everything the UI shows;
  columns            row counts and column types, no column-level lineage graph;
  none               no fetch: materializations carry only dbt's own metadata (no row count, no column
                     types, no column lineage in the UI; the quarantine tables' rejected-row figures stay).
"""

import os
from collections.abc import Iterator

TABLE_METADATA_ENV = "ANALYTICS_DBT_METADATA"
LEVELS = ("lineage", "columns", "none")
DEFAULT_LEVEL = "lineage"


def table_metadata_level() -> str:
    level = os.environ.get(TABLE_METADATA_ENV, "").strip().lower() or DEFAULT_LEVEL
    if level not in LEVELS:
        raise ValueError(f"{TABLE_METADATA_ENV}={level!r}: set it to one of {', '.join(LEVELS)}, or unset it")
    return level


def with_table_metadata(events) -> Iterator:
    """dagster-dbt's event stream of a DuckDB build with the fetches the level asks for. Either way the
    events come once dbt has ended, as dagster-dbt's fetches hand them over on DuckDB: the quarantine
    metadata queries the warehouse, which dbt's process holds locked until then."""
    level = table_metadata_level()
    if level == "none":
        return after_the_build(events)
    return events.fetch_row_counts().fetch_column_metadata(with_column_lineage=level == "lineage")


def after_the_build(events: Iterator) -> Iterator:
    """The events once the stream has ended, then the build's error, if it failed."""
    received, error = [], None
    try:
        received.extend(events)
    except Exception as failure:  # dagster-dbt's error for a failed build: raised after its events
        error = failure
    yield from received
    if error is not None:
        raise error
