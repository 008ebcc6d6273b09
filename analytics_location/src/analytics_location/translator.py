"""How dbt resources become Dagster assets. Asset keys are the contract other code locations depend on,
so they are the bare model names: no schema, target or folder prefix that could change under them."""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import reduce
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from analytics_location.project import analytics_dbt_project

# The public marts are other teams' inputs: rebuilt daily at the latest (the schedule), so a mart older
# than a day warns and older than 26 hours fails its freshness.
PUBLIC_MODEL_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=24)
)


DBT_PROJECT_METADATA = "dagster_dbt/project"
ANALYTICS_GROUP = "analytics"  # the dbt group (models/_groups.yml): the team, its owner
ACCESS_TAG = "dbt_access"  # public (the marts other teams may depend on), protected or private
RAW_SOURCE = "raw"  # the dbt source (models/staging/_raw__sources.yml) whose tables are the landing files


def model_automation(raw_keys: Iterable[dg.AssetKey]) -> dg.AutomationCondition:
    """Rebuild as soon as an upstream asset (a raw file observed with a new data version, or a model)
    updates (eager), and build what has never been built; both only once every raw table has arrived.

    - Every dbt build checks all the landing files before it starts (register_raw_files), so on a new
      warehouse whose orders have not landed yet a run for the products' models could only fail: the models
      wait, and their update is still pending (since_last_handled) when the last file lands.
    - eager() builds a missing model only when it becomes missing or a dependency updates after the
      condition's first evaluation, which handles what it sees. On a new Dagster instance the raw-files
      sensor may record its first observations before that evaluation, and those models were never built.
      So a model Dagster never built is built once its dependencies exist, unless its last run failed
      (then eager's next dependency update retries it, not every tick)."""
    arrived = [dg.AutomationCondition.asset_matches(key, ~dg.AutomationCondition.missing()) for key in raw_keys]
    every_raw_table = reduce(lambda a, b: a & b, arrived).with_label("every raw table has arrived")
    never_built = (
        dg.AutomationCondition.missing()
        & ~dg.AutomationCondition.execution_failed()
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("never built, dependencies present")
    return (dg.AutomationCondition.eager() | never_built) & every_raw_table


# What dbt's built-in generic tests assert, for those written without a description of their own.
GENERIC_TESTS = {
    "not_null": "{column} is never null.",
    "unique": "No two rows share a {column}.",
    "accepted_values": "{column} is one of the accepted values.",
    "relationships": "Every {column} is found in the table it refers to.",
}


def test_description(test: Mapping[str, Any]) -> str:
    """A dbt test's own description, else what its generic test asserts of its column ('' if neither)."""
    if (test.get("description") or "").strip():
        return test["description"].strip()
    generic = test.get("test_metadata") or {}
    column = (generic.get("kwargs") or {}).get("column_name")
    template = GENERIC_TESTS.get(generic.get("name"))
    return template.format(column=column) if template and column else ""


class AnalyticsTranslator(DagsterDbtTranslator):
    """Everything about an asset is set in get_asset_spec, except its key: dagster-dbt itself calls
    get_asset_key directly (to map dbt test results and column lineage back to assets), so a key set
    only in get_asset_spec would disagree with the one those paths compute."""

    def __init__(self):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_code_references=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        # dagster-dbt passes the project it finds in the assets' metadata (None once it is left out, below, e.g.
        # when a schedule's dbt selection is resolved); the code references need it, and it is one project.
        spec = super().get_asset_spec(manifest, unique_id, project or analytics_dbt_project)
        raw_keys = sorted(
            {
                self.get_asset_key(source)
                for source in manifest["sources"].values()
                if source["source_name"] == RAW_SOURCE
            }
        )
        props = self.get_resource_props(manifest, unique_id)
        public = props.get("access") == "public"
        # dagster-dbt also stores the DbtProject object in every asset's metadata, where the UI can only print
        # "dagster_dbt/project [DbtProject] (unserializable)"; nothing this location uses reads it back.
        metadata = {key: value for key, value in spec.metadata.items() if key != DBT_PROJECT_METADATA}
        return spec.replace_attributes(
            metadata=metadata,
            # Grouped by the project's layer (its folder: staging, intermediate, quarantine, marts, ledger) and
            # tagged with dbt's access, so the lineage view shows the public marts apart from the internal models.
            group_name=f"{ANALYTICS_GROUP}_{props['fqn'][1]}",
            tags={**spec.tags, ACCESS_TAG: props.get("access") or "protected"},
            automation_condition=model_automation(raw_keys),
            **({"freshness_policy": PUBLIC_MODEL_FRESHNESS} if public else {}),
        )

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check, described by the test's own `description:` (dagster-dbt reads only
        `meta.description`), or for dbt's built-in generic tests written bare (`data_tests: [not_null]`) by what
        they assert, so the UI shows what every check checks."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        description = test_description(manifest["nodes"].get(unique_id) or {})
        if spec is None or spec.description or not description:
            return spec
        return dg.AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=description,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # source raw.orders -> raw_orders, the observable asset for the landing file; raw.order_batches, the
            # listing of the orders' batches (meta batches_of), is part of that same delivery.
            table = (dbt_resource_props.get("meta") or {}).get("batches_of") or dbt_resource_props["name"]
            return dg.AssetKey(f"{dbt_resource_props['source_name']}_{table}")
        return dg.AssetKey(dbt_resource_props["name"])
