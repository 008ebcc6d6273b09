"""The `analytics` code location."""

import dagster as dg
from dagster_dbt import DbtCliResource

from analytics_location.dbt_models import analytics_dbt_models
from analytics_location.hand_builds import dbt_hand_builds_sensor
from analytics_location.project import DBT_EXECUTABLE, analytics_dbt_project
from analytics_location.raw_files import raw_files, raw_files_sensor
from analytics_location.schedules import daily_marts_schedule, weekly_whole_table_tests
from warehouse_paths import ANALYTICS_PG_URL_ENV, warehouse_backend


def raw_assets_and_resources(backend: str) -> tuple[dg.AssetsDefinition, dict]:
    """The raw_* assets: on DuckDB the landing files, observed (dbt reads them); on PostgreSQL the raw
    tables the loader makes from them."""
    if backend == "postgres":
        from analytics_location.raw_tables import RawLoader, raw_tables

        return raw_tables, {"raw_loader": RawLoader(pg_url=dg.EnvVar(ANALYTICS_PG_URL_ENV))}
    return raw_files, {}


raw_assets, raw_resources = raw_assets_and_resources(warehouse_backend())

defs = dg.Definitions(
    assets=[raw_assets, analytics_dbt_models],
    schedules=[daily_marts_schedule, weekly_whole_table_tests],
    # A run's steps execute in the run's own process: the dbt step is one step, so a process per step
    # would only add an interpreter start (and the location's imports) to every run.
    executor=dg.in_process_executor,
    sensors=[
        raw_files_sensor,
        dbt_hand_builds_sensor,
        # Evaluates the dbt models' automation conditions; Dagster creates its default one stopped.
        dg.AutomationConditionSensorDefinition(
            "analytics_automation",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=10,  # Dagster's default 30 s is part of the drop -> scores latency
        ),
    ],
    resources={
        "dbt": DbtCliResource(project_dir=analytics_dbt_project, dbt_executable=DBT_EXECUTABLE),
        **raw_resources,
    },
)
