"""The analytics location loads, validates, and exposes the dbt project under the agreed asset keys."""

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from support import REPO_ROOT

from analytics_location.definitions import defs
from analytics_location.project import analytics_dbt_project
from analytics_location.translator import model_automation

pytestmark = pytest.mark.unit

# The cross-location contract: the ML location depends on these keys by name. Renaming a model (or
# letting a schema or folder creep into its key) must fail here, not in the other team's runs.
PUBLIC_MODEL_KEYS = {
    dg.AssetKey("customer_order_summary"),
    dg.AssetKey("product_performance"),
    dg.AssetKey("customer_monthly_activity"),
    dg.AssetKey("product_monthly_sales"),
}
RAW_KEYS = {dg.AssetKey("raw_customers"), dg.AssetKey("raw_products"), dg.AssetKey("raw_orders")}


def manifest() -> dict:
    return json.loads(analytics_dbt_project.manifest_path.read_text())


def test_definitions_validate_in_process():
    dg.Definitions.validate_loadable(defs)


def test_dagster_cli_validates_the_location():
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-m",
            "analytics_location.definitions",
        ],
        cwd=REPO_ROOT,  # an earlier test in this process may have left the working directory elsewhere
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_models_are_assets_keyed_by_their_bare_model_names():
    graph = defs.resolve_asset_graph()
    public = {
        node["name"]
        for node in manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["access"] == "public"
    }
    assert {dg.AssetKey(name) for name in public} == PUBLIC_MODEL_KEYS
    assert graph.get_all_asset_keys() >= PUBLIC_MODEL_KEYS


def test_every_model_key_is_its_name_without_schema_prefix():
    graph = defs.resolve_asset_graph()
    models = {node["name"] for node in manifest()["nodes"].values() if node["resource_type"] == "model"}
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert materializable == {dg.AssetKey(name) for name in models}


def test_lineage_runs_from_raw_files_through_staging_to_marts():
    graph = defs.resolve_asset_graph()
    assert all(graph.get(key).is_observable for key in RAW_KEYS)
    # Orders land in typed_orders (every batch's lines, typed), which checked_orders re-checks from.
    assert dg.AssetKey("raw_orders") in graph.get(dg.AssetKey("typed_orders")).parent_keys
    assert dg.AssetKey("typed_orders") in graph.get(dg.AssetKey("checked_orders")).parent_keys
    assert dg.AssetKey("stg_orders") in graph.get(dg.AssetKey("customer_order_summary")).parent_keys


def test_groups_owners_and_descriptions_come_from_dbt():
    graph = defs.resolve_asset_graph()
    summary = graph.get(dg.AssetKey("customer_order_summary"))
    assert summary.owners == ["analytics@example.com"]
    assert summary.description.startswith("One row per staged customer")


def test_the_public_marts_stand_apart_from_the_internal_models():
    """The lineage view groups the models by layer: the ML team sees the public marts in a group of their own,
    tagged public, and the incremental engine's helpers as private (dbt's access: no other project may ref them)."""
    graph = defs.resolve_asset_graph()
    models = {node["name"]: node for node in manifest()["nodes"].values() if node["resource_type"] == "model"}
    marts = {name for name in models if graph.get(dg.AssetKey(name)).group_name == "analytics_marts"}
    assert {dg.AssetKey(name) for name in marts} == PUBLIC_MODEL_KEYS
    access = {name: graph.get(dg.AssetKey(name)).tags["dbt_access"] for name in models}
    assert {name for name, level in access.items() if level == "public"} == marts
    helpers = {"typed_orders", "order_batch_changes", "replaced_order_lines", "affected_orders", "affected_keys"}
    assert {access[name] for name in helpers} == {"private"}
    assert {graph.get(dg.AssetKey(name)).group_name for name in helpers} == {"analytics_intermediate"}


def test_every_model_rebuilds_eagerly_and_only_public_marts_carry_freshness():
    # The README promises that a new raw file rebuilds every model downstream of it: eager, and nothing
    # weaker (on_missing, a cron) or stricter (waiting for checks) in its place; it waits only for every raw
    # table to have arrived once (a build refuses to start before).
    graph = defs.resolve_asset_graph()
    models = {node["name"] for node in manifest()["nodes"].values() if node["resource_type"] == "model"}
    conditions = {name: graph.get(dg.AssetKey(name)).automation_condition for name in models}
    expected = model_automation([dg.AssetKey(f"raw_{table}") for table in ("customers", "orders", "products")])
    assert {name for name, condition in conditions.items() if condition != expected} == set()
    assert dg.AutomationCondition.eager() in expected.children[0].children
    with_freshness = {name for name in models if graph.get(dg.AssetKey(name)).freshness_policy is not None}
    assert {dg.AssetKey(name) for name in with_freshness} == PUBLIC_MODEL_KEYS


def test_dbt_tests_are_asset_checks_blocking_by_severity():
    graph = defs.resolve_asset_graph()
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert checks["unique_customer_order_summary_customer_id"].blocking
    share = checks["stg_orders_rejected_share_below_limit"]
    assert share.blocking and share.asset_key == dg.AssetKey("stg_orders")
    warn = checks["rejected_orders_share_below_warning"]
    assert not warn.blocking and warn.asset_key == dg.AssetKey("rejected_orders")


def test_dbt_tests_have_readable_names_and_their_descriptions():
    """A check's name is the dbt test's `name:` (dbt's generated ones run to 129 characters, and the UI
    truncates them), and its description the test's `description:`."""
    graph = defs.resolve_asset_graph()
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert max(len(name) for name in checks) <= 60, sorted(checks, key=len)[-1]
    described = checks["customer_order_summary_first_order_not_after_last"]
    assert described.asset_key == dg.AssetKey("customer_order_summary")
    assert described.description == "first_order is on or before last_order."
    # A bare generic test (`data_tests: [not_null]`) is described by what it asserts; every check has a description.
    assert checks["not_null_rejected_orders_reason"].description == "reason is never null."
    assert checks["unique_stg_customers_customer_id"].description == "No two rows share a customer_id."
    assert [name for name, check in checks.items() if not (check.description or "").strip()] == []


def test_automation_and_raw_file_sensors_are_on_by_default():
    sensors = {sensor.name: sensor for sensor in defs.sensors}
    assert sensors["analytics_automation"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["raw_files_sensor"].default_status == dg.DefaultSensorStatus.RUNNING


def test_no_dbt_asset_carries_the_project_object_the_ui_cannot_show():
    # dagster-dbt puts the DbtProject in each asset's metadata; the UI printed it as
    # "dagster_dbt/project [DbtProject] (unserializable)". The code references, which need it, stay.
    graph = defs.resolve_asset_graph()
    models = {node["name"] for node in manifest()["nodes"].values() if node["resource_type"] == "model"}
    for name in models:
        metadata = graph.get(dg.AssetKey(name)).metadata
        assert "dagster_dbt/project" not in metadata, name
        assert metadata["dagster/code_references"].code_references, name


def test_the_daily_schedule_builds_every_model_of_the_marts_and_quarantine_and_upstream():
    job = defs.resolve_job_def("daily_marts_build")
    models = {node["name"] for node in manifest()["nodes"].values() if node["resource_type"] == "model"}
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == models


def test_the_weekly_schedule_runs_every_dbt_test_over_whole_tables_and_builds_no_model():
    schedule = defs.resolve_schedule_def("weekly_whole_table_tests")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    job = defs.resolve_job_def(schedule.job_name)
    tests = {node["name"] for node in manifest()["nodes"].values() if node["resource_type"] == "test"}
    assert {check.name for check in job.asset_layer.asset_graph.asset_check_keys} >= tests
    assert job.asset_layer.executable_asset_keys == set(), "the job materializes no asset"
    assert job.run_config["ops"]["analytics_dbt_models"]["config"]["whole_tables"] is True
