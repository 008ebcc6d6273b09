"""Failed runs on the cross-location boundary are reported with asset, location and error."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

import ml_location.definitions as ml
from ml_location.monitoring import (
    AlertNotDelivered,
    FileAlerts,
    SlackAlerts,
    SlackApi,
    alert_sink,
    boundary_failure_alerts,
)


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


@pytest.mark.unit
def test_slack_is_used_only_when_a_token_is_in_the_environment(monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert isinstance(alert_sink(), FileAlerts)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    sink = alert_sink()
    assert isinstance(sink, SlackAlerts)
    assert "xoxb-test" not in repr(sink)  # the secret stays an EnvVar, resolved only when used


class SlackStandIn:
    """A local HTTP server answering Slack's Web API method chat.postMessage as told, recording requests."""

    def __init__(self, answer: tuple[int, dict]):
        self.answer = answer
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.requests.append(
                    {"path": self.path, "authorization": self.headers["Authorization"], "json": json.loads(body)}
                )
                status, payload = stand_in.answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(payload).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack_stand_in():
    servers = []

    def start(status: int, payload: dict) -> SlackStandIn:
        servers.append(SlackStandIn((status, payload)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


ALERT = {
    "run_id": "0123456789abcdef",
    "location": "analytics",
    "assets": ["customer_order_summary", "product_performance"],
    "error": "analytics_dbt_models: check unique_customer_order_summary_customer_id failed " + "x" * 3000,
}


def slack_alerts(base_url: str, tmp_path) -> SlackAlerts:
    return SlackAlerts(
        slack=SlackApi(token="xoxb-stand-in", base_url=base_url),
        channel="#data-alerts",
        warehouse_dir=str(tmp_path),
    )


@pytest.mark.unit
def test_an_alert_is_posted_to_slack_as_one_readable_message(slack_stand_in, tmp_path):
    slack = slack_stand_in(200, {"ok": True, "channel": "C1", "ts": "1.000"})
    slack_alerts(slack.base_url, tmp_path).send(ALERT)

    [request] = slack.requests
    assert request["path"] == "/api/chat.postMessage"
    assert request["authorization"] == "Bearer xoxb-stand-in"
    assert request["json"]["channel"] == "#data-alerts"
    text = request["json"]["text"]
    first_line, error_block = text.split("\n", 1)
    assert first_line == (
        ":rotating_light: Run 01234567 (analytics) failed to materialize customer_order_summary, product_performance"
    )
    assert error_block == "```" + ALERT["error"][:2500] + "```"  # long errors are cut to fit one message
    assert not (tmp_path / "alerts.jsonl").exists()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (200, {"ok": False, "error": "channel_not_found"}, "Slack answered channel_not_found"),
        (200, {"ok": False, "error": "invalid_auth"}, "Slack answered invalid_auth"),
        (503, {"ok": False}, "Slack answered 503"),
    ],
)
def test_an_alert_slack_refuses_goes_to_the_file_and_fails_the_sensor_tick(
    slack_stand_in, tmp_path, status, payload, reason
):
    slack = slack_stand_in(status, payload)
    with pytest.raises(AlertNotDelivered) as refused:
        slack_alerts(slack.base_url, tmp_path).send(ALERT)

    assert slack.requests  # it did try
    message = str(refused.value)
    assert reason in message and "SLACK_BOT_TOKEN" in message and str(tmp_path / "alerts.jsonl") in message
    [kept] = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert kept == {**ALERT, "slack_error": reason}


@pytest.mark.unit
def test_an_alert_is_kept_when_slack_cannot_be_reached(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(AlertNotDelivered, match="Slack could not be reached"):
        slack_alerts(f"http://127.0.0.1:{closed_port}/api/", tmp_path).send(ALERT)
    [kept] = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert kept["run_id"] == ALERT["run_id"] and kept["slack_error"].startswith("Slack could not be reached")


def test_the_sensor_reports_a_slack_failure_instead_of_dying_silently(warehouse, slack_stand_in):
    instance = dg.DagsterInstance.ephemeral()
    job = ml.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey("customer_features")]
    )
    slack = slack_stand_in(200, {"ok": False, "error": "not_in_channel"})
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    with (
        dg.build_run_status_sensor_context(
            sensor_name=boundary_failure_alerts.name,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=failure,
            resources={"alerts": slack_alerts(slack.base_url, warehouse.root)},
        ) as context,
        pytest.raises(AlertNotDelivered, match="not_in_channel"),
    ):
        boundary_failure_alerts(context.for_run_failure())
    [kept] = [json.loads(line) for line in (warehouse.root / "alerts.jsonl").read_text().splitlines()]
    assert kept["run_id"] == result.run_id and kept["assets"] == ["customer_features"]
