"""What dagster-dbt fetches from the warehouse after a DuckDB build, for the UI: row counts, column types,
and column lineage (sqlglot parses each model's SQL against its parents' columns).

The build's events are streamed once dbt has ended (`is_successful()` waits for it and keeps its output):
on DuckDB, dagster-dbt's fetches wait for dbt to release the file anyway, and while they waited, its
threaded post-processing (dagster's `imap`) polled its empty work queue without sleeping, taking a core
from dbt for the whole build on a 2-core machine (docs/benchmarks.md, "Daily update", measures it). The
quarantine metadata (quarantine.py) also queries the warehouse, so it needs dbt to have ended too.

ANALYTICS_DBT_METADATA chooses what is fetched, per run process:
  lineage (default)  row counts, column types and column lineage: everything the UI shows;
  columns            row counts and column types, without the column-level lineage graph;
  none               nothing: materializations carry dbt's own metadata only (no row count, no column
                     types, no column lineage in the UI); the quarantine tables' rejected-row figures stay.
"""

import os
from collections.abc import Iterator

from dagster_dbt import DbtCliInvocation

TABLE_METADATA_ENV = "ANALYTICS_DBT_METADATA"
LEVELS = ("lineage", "columns", "none")
DEFAULT_LEVEL = "lineage"


def table_metadata_level() -> str:
    level = os.environ.get(TABLE_METADATA_ENV, "").strip().lower() or DEFAULT_LEVEL
    if level not in LEVELS:
        raise ValueError(f"{TABLE_METADATA_ENV}={level!r}: set it to one of {', '.join(LEVELS)}, or unset it")
    return level


def events_with_table_metadata(invocation: DbtCliInvocation) -> Iterator:
    """The build's Dagster events, once dbt has ended, with the fetches the level asks for."""
    level = table_metadata_level()
    invocation.is_successful()  # waits for dbt and keeps its output; a failure is raised by the stream
    events = invocation.stream()
    if level == "none":
        return events
    return events.fetch_row_counts().fetch_column_metadata(with_column_lineage=level == "lineage")
