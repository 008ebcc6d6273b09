"""Failed runs on the cross-location boundary are reported with asset, location and error."""

import json

import dagster as dg

import ml_location.definitions as ml
from ml_location.monitoring import FileAlerts, SlackAlerts, alert_sink, boundary_failure_alerts


def run_failure_context(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance):
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name=boundary_failure_alerts.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=failure,
    ).for_run_failure()


def test_a_failed_run_on_the_boundary_is_reported_to_the_alerts_file(warehouse):
    instance = dg.DagsterInstance.ephemeral()
    job = ml.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey("customer_features")]
    )
    assert not result.success  # the marts it reads were never built

    alerts_path = warehouse.root / "alerts.jsonl"
    boundary_failure_alerts(run_failure_context(result, instance), alerts=FileAlerts(warehouse_dir=str(warehouse.root)))

    [alert] = [json.loads(line) for line in alerts_path.read_text().splitlines()]
    assert alert["assets"] == ["customer_features"]
    assert alert["location"] == "ml" and alert["run_id"] == result.run_id
    assert "customer_order_summary, customer_monthly_activity not materialized yet" in alert["error"]


def test_a_failed_run_off_the_boundary_is_not_reported(warehouse):
    instance = dg.DagsterInstance.ephemeral()
    job = ml.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey("customer_risk_scores")]
    )
    assert not result.success  # no model trained yet, but no upstream mart is involved
    alerts_path = warehouse.root / "alerts.jsonl"
    boundary_failure_alerts(run_failure_context(result, instance), alerts=FileAlerts(warehouse_dir=str(warehouse.root)))
    assert not alerts_path.exists()


def test_slack_is_used_only_when_a_token_is_in_the_environment(monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert isinstance(alert_sink(), FileAlerts)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    sink = alert_sink()
    assert isinstance(sink, SlackAlerts)
    assert "xoxb-test" not in repr(sink)  # the secret stays an EnvVar, resolved only when used
