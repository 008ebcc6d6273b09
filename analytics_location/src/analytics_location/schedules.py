"""A daily rebuild of the marts, the quarantine and everything upstream of them, as a safety net beside
automation (which rebuilds as soon as a raw file changes): it also picks up changes that are not data,
such as code. The quarantine is part of it: the staging models' reconciliation checks read it."""

import dagster as dg
from dagster_dbt import build_schedule_from_dbt_selection

from analytics_location.dbt_models import DbtBuildConfig, analytics_dbt_models

daily_marts_schedule = build_schedule_from_dbt_selection(
    [analytics_dbt_models],
    job_name="daily_marts_build",
    cron_schedule="0 6 * * *",
    # The folders by dbt's fqn (`marts` = models/marts/...), not by `path:`: a path is resolved against the
    # DbtProject dagster-dbt keeps in each asset's metadata, which the translator leaves out (the UI shows it
    # as "unserializable").
    # The ledger (models/ledger/) after the marts: a build that leaves it out would leave the next one to redo
    # its changes.
    dbt_select="+marts +quarantine +ledger",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


# Weekly, the dbt tests over whole tables (var whole_tables), without rebuilding a model: an incremental build
# tests only the rows it changed, so a defect elsewhere would otherwise wait for a full refresh. Only the dbt
# assets' checks are selected: dagster-dbt then runs `dbt build --select <those tests>`, which runs no model.
weekly_whole_table_tests = dg.ScheduleDefinition(
    name="weekly_whole_table_tests",
    job=dg.define_asset_job(
        "whole_table_tests",
        selection=dg.AssetSelection.checks_for_assets(analytics_dbt_models),
        config=dg.RunConfig(ops={analytics_dbt_models.op.name: DbtBuildConfig(whole_tables=True)}),
    ),
    cron_schedule="0 5 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
