"""The one place this project reaches into a private internal: dbt-duckdb's process-wide DuckDB handle.

dagster-dbt fetches row counts and column metadata (which give the UI its row counts and column lineage)
through a dbt adapter opened in the run process. dbt-duckdb keeps its database open for the life of the
process (its `keep_open` default), which is right inside a `dbt build` but wrong here: a run process that
executes steps in-process would keep a lock on analytics.duckdb, and the next `dbt build` (another process)
would fail on it. dbt-duckdb has no public call that closes it: `close_all_connections()` forgets the
handle (`_ENV`) without closing it. tests/analytics_location/test_dbt_duckdb_handle.py fails, naming what
changed, when an upgrade moves these internals."""

from dagster_dbt import DbtCliInvocation
from dbt.adapters.duckdb.connections import DuckDBConnectionManager

# The private attribute holding the open environment, read by name so an upgrade that drops it fails here.
ENVIRONMENT_ATTRIBUTE = "_ENV"


def release_adapter_connection(invocation: DbtCliInvocation) -> None:
    """Close the DuckDB handle dagster-dbt opened in this process to fetch row counts and columns."""
    adapter = invocation.adapter
    if adapter is None:
        return
    adapter.cleanup_connections()
    manager = type(adapter.connections)
    if issubclass(manager, DuckDBConnectionManager):  # other adapters hold no process-wide handle
        close_process_environment(manager)


def close_process_environment(manager: type[DuckDBConnectionManager]) -> None:
    """Close the database dbt-duckdb keeps open in this process, if it opened one."""
    if getattr(manager, ENVIRONMENT_ATTRIBUTE) is not None:
        manager.env().close()
        manager.close_all_connections()
