"""The dbt project's models as one dagster-dbt multi-asset; dbt tests become asset checks (those with
severity error are blocking, so downstream assets do not run on data that failed them)."""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from analytics_location.build_failures import explain_failed_build
from analytics_location.dbt_duckdb_handle import release_adapter_connection
from analytics_location.project import analytics_dbt_project
from analytics_location.quarantine import with_quarantine_metadata
from analytics_location.table_metadata import events_with_table_metadata
from analytics_location.target_folders import remove_old_run_folders
from analytics_location.translator import AnalyticsTranslator
from analytics_location.warehouse import ANALYTICS_WAREHOUSE_POOL
from analytics_location.warehouse_lock import wait_until_free
from warehouse_paths import analytics_db, warehouse_backend


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False
    """Rebuild incremental models from scratch (`dbt build --full-refresh`)."""
    whole_tables: bool = False
    """Tests narrowed to the rows a build changed read every row (dbt var whole_tables)."""


@dbt_assets(
    manifest=analytics_dbt_project.manifest_path,
    project=analytics_dbt_project,
    dagster_dbt_translator=AnalyticsTranslator(),
    pool=ANALYTICS_WAREHOUSE_POOL,
)
def analytics_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    args = ["build", *(["--full-refresh"] if config.full_refresh else [])]
    if config.whole_tables:
        args += ["--vars", json.dumps({"whole_tables": True})]
    if warehouse_backend() == "duckdb":  # another process (an analyst's dbt build) may hold the file
        wait_until_free(analytics_db(), context.log.info)
    invocation = dbt.cli(args, context=context)
    try:
        events = invocation.stream()
        if warehouse_backend() == "duckdb":
            # dagster-dbt queries each built table by the relation name of the manifest Dagster loaded, which
            # `make setup` parses on the default (DuckDB) target: on PostgreSQL those names point at another
            # database and every query fails, so the server's builds go without row counts and column types.
            events = events_with_table_metadata(invocation)  # ANALYTICS_DBT_METADATA: what it fetches
        yield from with_quarantine_metadata(invocation, events)
    except DagsterDbtCliRuntimeError as error:
        explanation = explain_failed_build(invocation, error)
        if explanation is None:
            raise
        raise dg.Failure(description=explanation) from error
    finally:
        release_adapter_connection(invocation)
        remove_old_run_folders(invocation.target_path.parent, context.op_execution_context.op.name)
