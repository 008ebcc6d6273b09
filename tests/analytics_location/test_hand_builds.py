"""A `dbt build` run by hand becomes materializations and check evaluations in Dagster: the sensor reads
the build's run_results.json and reports what it built and tested, once, and never a build older than
what Dagster already has."""

import json
import os
import shutil
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest
from support import REPO_ROOT, contract_types

from analytics_location.built_tables import DuckDBTables
from analytics_location.hand_builds import HAND_BUILD_TARGET, build_hand_builds_sensor, hand_build_events
from analytics_location.project import analytics_dbt_project

SUMMARY = dg.AssetKey("customer_order_summary")
FIRST_BEFORE_LAST = "customer_order_summary_first_order_not_after_last"
HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(120)"


@pytest.fixture(scope="module")
def hand_build(new_warehouse):
    """An analyst's plain `dbt build` (its results in the warehouse's own target folder)."""
    warehouse = new_warehouse("hand_build")
    warehouse.generate(orders=2_000)
    result = warehouse.dbt("build")
    assert result.returncode == 0, result.stdout[-3000:]
    return warehouse


def sensor_on(warehouse, analytics_db=None) -> dg.SensorDefinition:
    tables = DuckDBTables(analytics_db or warehouse.analytics_db)
    return build_hand_builds_sensor(warehouse.root / "target", name="hand_builds_under_test", tables=lambda: tables)


def run_sensor(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None = None):
    """One tick, as the daemon runs it: the events it returns are recorded in the instance."""
    result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor))
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result


def test_a_hand_build_is_reported_as_materializations_and_check_evaluations(hand_build):
    run_results = json.loads((hand_build.root / "target" / "run_results.json").read_text())
    built = {r["unique_id"].split(".")[-1] for r in run_results["results"] if r["unique_id"].startswith("model.")}
    sensor = sensor_on(hand_build)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_sensor(sensor, instance)

        materialized = {e.asset_key.path[-1] for e in result.asset_events if isinstance(e, dg.AssetMaterialization)}
        assert materialized == built and SUMMARY.path[-1] in materialized
        latest = instance.get_latest_materialization_event(SUMMARY)
        assert (
            latest is not None
            and latest.asset_materialization.metadata["invocation_id"].value
            == (run_results["metadata"]["invocation_id"])
        )
        checks = {(e.asset_key, e.check_name): e for e in result.asset_events if isinstance(e, dg.AssetCheckEvaluation)}
        assert checks[(SUMMARY, FIRST_BEFORE_LAST)].passed
        assert checks[(SUMMARY, FIRST_BEFORE_LAST)].severity == dg.AssetCheckSeverity.ERROR
        # Every check comes after every materialization, so that it counts for the new one.
        kinds = [isinstance(e, dg.AssetCheckEvaluation) for e in result.asset_events]
        assert kinds == sorted(kinds)

        # The next tick reports nothing new: the same dbt invocation.
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=result.cursor))
        assert again.asset_events == [] and again.skip_message


def test_a_hand_build_carries_the_row_count_and_the_contract_s_column_types(hand_build):
    """What the mart's page shows after a Dagster build, it shows after a hand build too."""
    with dg.DagsterInstance.ephemeral() as instance:
        run_sensor(sensor_on(hand_build), instance)
        metadata = instance.get_latest_materialization_event(SUMMARY).asset_materialization.metadata
    with duckdb.connect(str(hand_build.analytics_db), read_only=True) as con:
        [(rows,)] = con.execute("select count(*) from marts.customer_order_summary").fetchall()
    assert rows > 0 and metadata["dagster/row_count"].value == rows
    manifest = json.loads((hand_build.root / "target" / "manifest.json").read_text())
    columns = metadata["dagster/column_schema"].value.columns
    assert [(c.name, c.type) for c in columns] == contract_types(manifest, "customer_order_summary")


def test_while_the_warehouse_is_written_the_hand_build_waits_for_the_next_tick(hand_build):
    sensor = sensor_on(hand_build)
    with dg.DagsterInstance.ephemeral() as instance:
        # A writer in another process (an analyst's next build): DuckDB lets no reader in beside it.
        writer = subprocess.Popen([sys.executable, "-c", HOLD, str(hand_build.analytics_db)], stdout=subprocess.PIPE)
        try:
            assert writer.stdout.readline() == b"open\n"
            busy = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        finally:
            writer.kill()
            writer.wait()
        assert busy.asset_events == [] and busy.cursor is None
        assert "is reported once the warehouse is free" in busy.skip_message
        assert str(hand_build.analytics_db) in busy.skip_message
        assert run_sensor(sensor, instance).asset_events  # free again: reported


def test_tables_not_in_the_warehouse_are_reported_without_their_figures(hand_build, tmp_path):
    """A code location whose WAREHOUSE_DIR is another warehouse still reports the build, and says why it has
    no row counts."""
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_sensor(sensor_on(hand_build, analytics_db=other), instance)
        metadata = instance.get_latest_materialization_event(SUMMARY).asset_materialization.metadata
    assert result.asset_events and "dagster/row_count" not in metadata
    assert metadata["dbt_command"].value == "dbt build (by hand)"


def test_a_build_older_than_dagster_s_latest_materialization_is_not_reported(hand_build):
    sensor = sensor_on(hand_build)
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(SUMMARY))  # Dagster built it after
        result = run_sensor(sensor, instance)
        reported = {e.asset_key for e in result.asset_events}
    assert SUMMARY not in reported
    assert dg.AssetKey("stg_orders") in reported


def results_of(*nodes: tuple[str, str], which: str = "build") -> dict:
    """A run_results.json holding the given (unique_id, status), finished now."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "metadata": {"invocation_id": "constructed", "generated_at": now},
        "args": {"which": which},
        "results": [{"unique_id": unique_id, "status": status, "timing": []} for unique_id, status in nodes],
    }


def test_failed_and_warned_tests_are_failed_evaluations_with_their_severity():
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    tests = {node["name"]: uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    results = results_of(
        ("model.analytics.customer_order_summary", "success"),
        ("model.analytics.rejected_orders", "success"),
        ("model.analytics.stg_orders", "error"),  # not built: neither it nor its tests are reported
        (tests[FIRST_BEFORE_LAST], "fail"),
        (tests["rejected_orders_share_below_warning"], "warn"),
        (tests["stg_orders_quantity_positive"], "skipped"),
    )
    events = hand_build_events(results, manifest, lambda key: None)
    assert [e.asset_key.path[-1] for e in events if isinstance(e, dg.AssetMaterialization)] == [
        "customer_order_summary",
        "rejected_orders",
    ]
    evaluations = {e.check_name: e for e in events if isinstance(e, dg.AssetCheckEvaluation)}
    assert set(evaluations) == {FIRST_BEFORE_LAST, "rejected_orders_share_below_warning"}
    assert not evaluations[FIRST_BEFORE_LAST].passed
    assert evaluations[FIRST_BEFORE_LAST].severity == dg.AssetCheckSeverity.ERROR
    assert not evaluations["rejected_orders_share_below_warning"].passed
    assert evaluations["rejected_orders_share_below_warning"].severity == dg.AssetCheckSeverity.WARN


def test_commands_that_build_nothing_are_not_reported():
    manifest = json.loads(analytics_dbt_project.manifest_path.read_text())
    compiled = results_of(("model.analytics.customer_order_summary", "success"), which="compile")
    assert hand_build_events(compiled, manifest, lambda key: None) == []


def test_the_location_s_sensor_reads_the_dbt_project_s_own_target_folder():
    """Where an analyst's `dbt build` in analytics_dbt/ writes, wherever the code server was started."""
    assert HAND_BUILD_TARGET.is_absolute()
    assert (analytics_dbt_project.project_dir / "target").absolute() == HAND_BUILD_TARGET


def test_dbt_s_target_path_variable_moves_the_folder_for_dbt_dagster_and_the_sensor_alike(tmp_path):
    """DBT_TARGET_PATH set (dbt's own variable): the manifest Dagster loads and the results the sensor reads are
    where dbt writes them."""
    shutil.copy2(analytics_dbt_project.manifest_path, tmp_path)
    code = (
        "from analytics_location.hand_builds import HAND_BUILD_TARGET\n"
        "from analytics_location.project import analytics_dbt_project\n"
        "print(HAND_BUILD_TARGET, analytics_dbt_project.manifest_path)"
    )
    env = {**os.environ, "DBT_TARGET_PATH": str(tmp_path)}
    found = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr[-2000:]
    assert found.stdout.split() == [str(tmp_path), str(tmp_path / "manifest.json")]
