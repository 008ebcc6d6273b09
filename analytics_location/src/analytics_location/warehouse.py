"""Writes to analytics.duckdb from Dagster: one concurrency pool, and no handle left open after a step."""

from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

# Every Dagster step that writes analytics.duckdb claims a slot of this pool. DuckDB allows one writing
# process per file, so the instance gives the pool one slot (see dagster_home/dagster.yaml): runs that
# would write at the same time queue instead of failing on the file lock.
ANALYTICS_WAREHOUSE_POOL = "analytics_warehouse"


def release_adapter_connection(invocation: DbtCliInvocation) -> None:
    """Close the DuckDB handle dagster-dbt opened in this process to fetch row counts and columns.

    dbt-duckdb keeps its database open for the life of the process (its `keep_open` default), which is
    right inside a `dbt build` but wrong here: a run process that executes steps in-process would keep
    a lock on analytics.duckdb, and the next `dbt build` (another process) would fail on it."""
    adapter = invocation.adapter
    if adapter is None:
        return
    adapter.cleanup_connections()
    manager = type(adapter.connections)
    if getattr(manager, "_ENV", None) is not None:
        manager.env().close()
        manager.close_all_connections()
