"""How dbt resources become Dagster assets. Asset keys are the contract other code locations depend on,
so they are the bare model names: no schema, target or folder prefix that could change under them."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

# The public marts are other teams' inputs: rebuilt daily at the latest (the schedule), so a mart older
# than a day warns and older than 26 hours fails its freshness.
PUBLIC_MODEL_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=24)
)


class AnalyticsTranslator(DagsterDbtTranslator):
    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if self.get_resource_props(manifest, unique_id).get("access") == "public":
            return spec.replace_attributes(freshness_policy=PUBLIC_MODEL_FRESHNESS)
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # source raw.orders -> raw_orders, the observable asset for the landing file.
            return dg.AssetKey(f"{dbt_resource_props['source_name']}_{dbt_resource_props['name']}")
        return dg.AssetKey(dbt_resource_props["name"])

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition:
        # Rebuild as soon as an upstream asset (a raw file observed with a new data version, or a
        # model) updates, and build what has never been built.
        return dg.AutomationCondition.eager()
