"""Builds run by hand (an analyst's `dbt build` in analytics_dbt/) become visible to Dagster.

dbt writes what a command did to analytics_dbt/target/run_results.json (or $DBT_TARGET_PATH/), beside the
manifest of that command. Dagster's own dbt runs never write there (dagster-dbt gives each run its own folder under
target/), so every results file found there is a build Dagster did not run. The sensor reads it and
reports, as runless asset events: a materialization of each model dbt built, then an evaluation of each
asset check for each dbt test that ran (in that order, so that the evaluations count for the new
materializations). The ML assets downstream then follow by automation, as after a Dagster build. Each
materialization carries what a Dagster build's does: dbt's timing, and the table's row count and column
types read from the warehouse (built_tables.py).

A model is reported only if dbt finished it after the latest materialization Dagster knows of, so a
results file older than the last Dagster run (or one already reported) is never reported again."""

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg

from analytics_location.built_tables import BuiltTables, TablesUnreadable, WarehouseBusy, warehouse_tables
from analytics_location.project import analytics_dbt_project
from analytics_location.translator import AnalyticsTranslator

CHECK_EVERY_SECONDS = 10
# dbt commands whose results are builds of models and runs of tests (not `compile`, `docs generate`...).
BUILDING_COMMANDS = {"build", "run", "test", "seed", "snapshot"}
BUILT = {"success"}  # a model's statuses that mean it was written
TEST_RAN = {"pass": True, "warn": False, "fail": False, "error": False}  # a test's statuses -> passed


def finished_at(result: Mapping[str, Any], fallback: float) -> float:
    """When dbt finished a node (its `execute` timing), as a UNIX timestamp."""
    for timing in result.get("timing", []):
        if timing.get("name") == "execute" and timing.get("completed_at"):
            return datetime.fromisoformat(timing["completed_at"].replace("Z", "+00:00")).timestamp()
    return fallback


def hand_build_events(
    run_results: Mapping[str, Any],
    manifest: Mapping[str, Any],
    latest_materialization: Callable[[dg.AssetKey], float | None],
    translator: AnalyticsTranslator | None = None,
    tables: BuiltTables | None = None,
) -> list[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """The events that report one hand build: materializations first, then check evaluations. Models
    finished before `latest_materialization(key)` (a timestamp, or None if never) are left out, and so
    are the tests on them. With `tables`, each materialization carries its table's row count and column
    types (WarehouseBusy if the warehouse cannot be read now)."""
    translator = translator or AnalyticsTranslator()
    metadata = run_results["metadata"]
    command = run_results.get("args", {}).get("which")
    if command not in BUILDING_COMMANDS:
        return []
    generated_at = datetime.fromisoformat(metadata["generated_at"].replace("Z", "+00:00")).timestamp()
    common = {"dbt_command": f"dbt {command} (by hand)", "invocation_id": metadata["invocation_id"]}
    nodes = manifest["nodes"]
    materializations, evaluations, reported = [], [], set()
    for result in run_results["results"]:
        node = nodes.get(result["unique_id"])
        if node is None or node["resource_type"] != "model" or result["status"] not in BUILT:
            continue
        key = translator.get_asset_key(node)
        done = finished_at(result, generated_at)
        known = latest_materialization(key)
        if known is not None and known >= done:
            continue
        reported.add(result["unique_id"])
        materializations.append(
            dg.AssetMaterialization(
                asset_key=key,
                description=f"Built by hand: dbt {command}, outside Dagster.",
                metadata={
                    **common,
                    "unique_id": result["unique_id"],
                    "execution_seconds": round(float(result.get("execution_time") or 0), 3),
                    "dbt_finished_at": dg.MetadataValue.timestamp(done),
                },
            )
        )
    if tables is not None and reported:
        relations = {uid: (nodes[uid]["schema"], nodes[uid]["alias"]) for uid in reported}
        found = tables.metadata(sorted(set(relations.values())))
        by_key = {translator.get_asset_key(nodes[uid]): found[relation] for uid, relation in relations.items()}
        materializations = [m.with_metadata({**m.metadata, **by_key[m.asset_key]}) for m in materializations]
    for result in run_results["results"]:
        node = nodes.get(result["unique_id"])
        if node is None or node["resource_type"] != "test" or result["status"] not in TEST_RAN:
            continue
        attached = node.get("attached_node")
        if attached not in reported:  # a test of a model this report does not cover
            continue
        evaluations.append(
            dg.AssetCheckEvaluation(
                asset_key=translator.get_asset_key(nodes[attached]),
                check_name=node["name"],
                passed=TEST_RAN[result["status"]],
                severity=dg.AssetCheckSeverity.WARN
                if node["config"].get("severity", "").lower() == "warn"
                else dg.AssetCheckSeverity.ERROR,
                metadata={
                    **common,
                    "status": result["status"],
                    **({"failed_rows": int(result["failures"])} if result.get("failures") is not None else {}),
                },
            )
        )
    return [*materializations, *evaluations]


def read_results(target: Path) -> tuple[dict, dict] | None:
    """(run_results.json, manifest.json) of the last dbt command run by hand in `target`, if any."""
    try:
        return json.loads((target / "run_results.json").read_text()), json.loads((target / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # none yet, or dbt is writing it right now
        return None


def latest_materialization_timestamp(instance: dg.DagsterInstance, key: dg.AssetKey) -> float | None:
    event = instance.get_latest_materialization_event(key)
    return None if event is None else event.timestamp


def build_hand_builds_sensor(
    target: Path,
    name: str = "dbt_hand_builds_sensor",
    tables: Callable[[], BuiltTables] = warehouse_tables,
) -> dg.SensorDefinition:
    """A sensor that reports the dbt commands run by hand whose results land in `target`, with the row counts
    and column types of the warehouse `tables()` reads."""

    @dg.sensor(name=name, minimum_interval_seconds=CHECK_EVERY_SECONDS, default_status=dg.DefaultSensorStatus.RUNNING)
    def hand_builds(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        """Reports the models and tests of a `dbt build` run by hand in analytics_dbt/ as materializations
        and check evaluations, so that the assets downstream (the ML location) follow by automation."""
        found = read_results(target)
        if found is None:
            return dg.SkipReason(f"no dbt run results in {target}")
        run_results, manifest = found
        invocation = run_results["metadata"]["invocation_id"]
        if invocation == context.cursor:
            return dg.SkipReason(f"dbt invocation {invocation} already reported")

        def report(with_tables: BuiltTables | None) -> list:
            latest = lambda key: latest_materialization_timestamp(context.instance, key)  # noqa: E731
            return hand_build_events(run_results, manifest, latest, tables=with_tables)

        try:
            events = report(tables())
        except WarehouseBusy as busy:  # the cursor stays: the next tick reports this build
            return dg.SkipReason(f"dbt invocation {invocation} is reported once the warehouse is free: {busy}")
        except TablesUnreadable as why:
            context.log.warning(
                f"dbt invocation {invocation} is reported without row counts and column types: {why}. "
                "Does this code location's WAREHOUSE_DIR name the warehouse the analyst built?"
            )
            events = report(None)
        context.log.info(f"dbt invocation {invocation}: {len(events)} asset events to report")
        return dg.SensorResult(asset_events=events, cursor=invocation)

    return hand_builds


# An analyst's plain `dbt build` in analytics_dbt/ writes its results to the project's target/, or to
# DBT_TARGET_PATH when set (project.py; DbtProject gives it relative to the project folder).
HAND_BUILD_TARGET = analytics_dbt_project.project_dir / analytics_dbt_project.target_path
dbt_hand_builds_sensor = build_hand_builds_sensor(HAND_BUILD_TARGET)
