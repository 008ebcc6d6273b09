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

import dagster as dg
from dagster_dbt import DbtCliInvocation

from analytics_location.built_tables import COLUMNS

TABLE_METADATA_ENV = "ANALYTICS_DBT_METADATA"
LEVELS = ("lineage", "columns", "none")
DEFAULT_LEVEL = "lineage"


def table_metadata_level() -> str:
    level = os.environ.get(TABLE_METADATA_ENV, "").strip().lower() or DEFAULT_LEVEL
    if level not in LEVELS:
        raise ValueError(f"{TABLE_METADATA_ENV}={level!r}: set it to one of {', '.join(LEVELS)}, or unset it")
    return level


def query(invocation: DbtCliInvocation, sql: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one query, on the dbt adapter of the run process (the one dagster-dbt fetches
    row counts with), on whichever backend dbt built."""
    adapter = invocation.adapter
    with adapter.connection_named("table_metadata"):
        _, table = adapter.execute(sql, fetch=True)
    return list(table.column_names), [tuple(row) for row in table.rows]


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def with_warehouse_types(invocation: DbtCliInvocation, events: Iterator) -> Iterator:
    """dagster-dbt names each column's type as dbt's Column class formats it ('character varying(256)' for
    DuckDB's VARCHAR, whose length has no limit); the page shows the warehouse's own names instead (BIGINT,
    VARCHAR, DOUBLE: the contract's types as DuckDB names them), read from its catalog as a hand build's are
    (built_tables.py), so the two read alike."""
    nodes = invocation.manifest["nodes"]
    for event in events:
        schema = (
            event.metadata.get("dagster/column_schema")
            if isinstance(event, dg.Output | dg.AssetMaterialization)
            else None
        )
        node = nodes.get(str(event.metadata.get("unique_id", dg.MetadataValue.text("")).value)) if schema else None
        if node is not None:
            _, rows = query(invocation, COLUMNS.format(p="{}").format(literal(node["schema"]), literal(node["alias"])))
            types = dict(rows)
            columns = [
                dg.TableColumn(c.name, types.get(c.name, c.type), c.description, c.constraints, c.tags)
                for c in schema.value.columns
            ]
            table = dg.TableSchema(columns=columns, constraints=schema.value.constraints)
            event = event.with_metadata(
                {**event.metadata, "dagster/column_schema": dg.MetadataValue.table_schema(table)}
            )
        yield event


def events_with_table_metadata(invocation: DbtCliInvocation) -> Iterator:
    """The build's Dagster events, once dbt has ended, with the fetches the level asks for."""
    level = table_metadata_level()
    invocation.is_successful()  # waits for dbt and keeps its output; a failure is raised by the stream
    events = invocation.stream()
    if level == "none":
        return events
    fetched = events.fetch_row_counts().fetch_column_metadata(with_column_lineage=level == "lineage")
    return with_warehouse_types(invocation, fetched)
