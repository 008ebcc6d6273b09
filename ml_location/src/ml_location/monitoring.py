"""Knowing when something across the boundary between the two teams breaks.

- A run-failure sensor watches the runs of every code location and reports each failed run that was to
  materialize an asset on the boundary (the public marts this location reads, or the features built
  on them): which assets, which location, the error. To the log, and to Slack through dagster-slack when
  SLACK_BOT_TOKEN is set, else to a local alerts file ($WAREHOUSE_DIR/alerts.jsonl). When Slack does not
  take an alert, it goes to the alerts file instead and the sensor's tick fails with the reason, so a
  broken Slack setup shows in the UI (Automation) rather than swallowing alerts.
Freshness of the predictions is declared on the assets themselves (FreshnessPolicy, in assets.py)."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster_slack import SlackResource
from pydantic import Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from ml_location.assets import customer_features, product_features
from ml_location.upstream import PRODUCER_LOCATION, PUBLIC_MODELS
from warehouse_paths import WAREHOUSE_DIR_ENV, alerts_file

THIS_LOCATION = "ml"
BOUNDARY_ASSETS = {model.key: PRODUCER_LOCATION for model in PUBLIC_MODELS} | {
    asset.key: THIS_LOCATION for asset in (customer_features, product_features)
}


class AlertSink(dg.ConfigurableResource):
    """Where boundary failures are reported, besides the sensor's log."""

    def send(self, alert: dict) -> None:
        raise NotImplementedError


class FileAlerts(AlertSink):
    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); alerts go to its alerts.jsonl."
    )

    def file(self) -> Path:
        return alerts_file(Path(self.warehouse_dir).absolute())

    def send(self, alert: dict) -> None:
        path = self.file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(json.dumps(alert) + "\n")


class AlertNotDelivered(Exception):
    """Slack did not take an alert (it was written to the alerts file instead)."""


class SlackApi(SlackResource):
    """dagster-slack's resource with the address of Slack's Web API configurable (Slack's own by default),
    so a local stand-in can play Slack in tests."""

    base_url: str = Field(default=WebClient.BASE_URL, description="Slack Web API base URL, ending in '/'.")

    def get_client(self) -> WebClient:
        return WebClient(self.token, base_url=self.base_url)


def slack_text(alert: dict) -> str:
    return (
        f":rotating_light: Run {alert['run_id'][:8]} ({alert['location']}) failed to materialize "
        f"{', '.join(alert['assets'])}\n```{alert['error'][:2500]}```"
    )


class SlackAlerts(AlertSink):
    slack: dg.ResourceDependency[SlackResource]
    channel: str = "#data-alerts"
    warehouse_dir: str = Field(
        description="The shared warehouse folder ($WAREHOUSE_DIR); what Slack refused goes to its alerts.jsonl."
    )

    def send(self, alert: dict) -> None:
        try:
            self.slack.get_client().chat_postMessage(channel=self.channel, text=slack_text(alert))
        except SlackApiError as error:  # Slack answered, and said no (bad token, unknown channel, ...)
            self.refused(alert, f"Slack answered {error.response.get('error') or error.response.status_code}")
        except (SlackClientError, OSError) as error:  # Slack could not be reached
            self.refused(alert, f"Slack could not be reached ({type(error).__name__}: {error})")

    def refused(self, alert: dict, reason: str) -> None:
        fallback = FileAlerts(warehouse_dir=self.warehouse_dir)
        fallback.send({**alert, "slack_error": reason})
        raise AlertNotDelivered(
            f"The alert for run {alert['run_id']} was not posted to Slack channel {self.channel}: {reason}. "
            f"It was written to {fallback.file()} instead. Check SLACK_BOT_TOKEN, that the bot is a "
            f"member of {self.channel} (SLACK_ALERTS_CHANNEL), and that Slack is reachable."
        )


def alert_sink() -> AlertSink:
    """Slack when a token is configured (read from the environment only), else the alerts file."""
    if os.environ.get("SLACK_BOT_TOKEN"):
        return SlackAlerts(
            slack=SlackApi(token=dg.EnvVar("SLACK_BOT_TOKEN")),
            channel=os.environ.get("SLACK_ALERTS_CHANNEL", "#data-alerts"),
            warehouse_dir=dg.EnvVar(WAREHOUSE_DIR_ENV),
        )
    return FileAlerts(warehouse_dir=dg.EnvVar(WAREHOUSE_DIR_ENV))


def planned_assets(instance: dg.DagsterInstance, run_id: str) -> set[dg.AssetKey]:
    """The assets a run set out to materialize (its subset, or every asset of its job)."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return {record.event_log_entry.dagster_event.asset_key for record in records}


def failure_alert(context: dg.RunFailureSensorContext) -> dict | None:
    run = context.dagster_run
    touched = sorted(planned_assets(context.instance, run.run_id) & BOUNDARY_ASSETS.keys())
    if not touched:
        return None
    origin = run.remote_job_origin
    location = origin.location_name if origin else BOUNDARY_ASSETS[touched[0]]
    step_errors = [
        f"{event.step_key}: {event.event_specific_data.error.message.strip()}"
        for event in context.get_step_failure_events()
        if event.event_specific_data and event.event_specific_data.error
    ]
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "job": run.job_name,
        "location": location,
        "assets": [key.to_user_string() for key in touched],
        "owners": sorted({BOUNDARY_ASSETS[key] for key in touched}),
        "error": "\n".join(step_errors) or context.failure_event.message or "run failed",
    }


@dg.run_failure_sensor(
    monitor_all_code_locations=True, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=15
)
def boundary_failure_alerts(context: dg.RunFailureSensorContext, alerts: AlertSink) -> None:
    alert = failure_alert(context)
    if alert is None:
        return
    context.log.error(
        f"Run {alert['run_id']} in location {alert['location']} failed on boundary assets "
        f"{', '.join(alert['assets'])}:\n{alert['error']}"
    )
    alerts.send(alert)
