"""A real `dagster dev` (webserver + daemon + both code locations) on a temporary Dagster home and warehouse,
stopped by process group when the test is done, whatever happened."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from support import BIN, REPO_ROOT

from serve.instance import prepare
from serve.readiness import graphql

# Launches a run through the GraphQL API; each error kind comes back with its message.
LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""


RUNS = "{ runsOrError { ... on Runs { results { runId jobName status startTime endTime tags { key value } } } } }"
TICKS = """
query ($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { ticks(limit: 20) { status timestamp runIds skipReason error { message } } } }
  }
}"""
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")


def runs(url: str) -> list[dict]:
    """Every run of the instance, newest first, with its tags as a dict."""
    found = graphql(url, RUNS)["runsOrError"]["results"]
    return [{**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in found]


def ticks(url: str, location: str, sensor: str) -> list[dict]:
    """A sensor's (or automation sensor's) latest ticks, newest first."""
    selector = {"repositoryLocationName": location, "repositoryName": "__repository__", "sensorName": sensor}
    return graphql(url, TICKS, selector=selector)["sensorOrError"]["sensorState"]["ticks"]


def activity(url: str, sensors: dict[str, str]) -> str:
    """What the instance did, for a failure message: each run (job, status, who launched it) and each named
    sensor's latest ticks (status, runs, why skipped or failed)."""
    lines = [
        f"run {r['runId'][:8]} {r['jobName']} {r['status']} by {r['tags'].get('dagster/sensor_name', 'hand')}"
        for r in runs(url)
    ]
    for sensor, location in sensors.items():
        for tick in ticks(url, location, sensor)[:5]:
            why = tick["skipReason"] or (tick["error"] or {}).get("message", "")
            lines.append(f"{sensor} tick {tick['status']} runs={len(tick['runIds'])} {why}".rstrip())
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DagsterDev:
    def __init__(self, home: Path, warehouse: Path, log: Path, env: dict[str, str] | None = None):
        home.mkdir(parents=True, exist_ok=True)
        prepare(home)  # the settings of make ui's instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "WAREHOUSE_DIR": str(warehouse),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            **(env or {}),
        }
        env.pop("SLACK_BOT_TOKEN", None)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [
                str(BIN / "dagster"),
                "dev",
                "-w",
                str(REPO_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def graphql(self, query: str, **variables) -> dict:
        return graphql(self.url, query, **variables)

    def wait_until_loaded(self, locations: set[str], timeout: float) -> float:
        """Seconds from start until the UI serves every location, loaded without error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dagster dev exited; see {self.log}"
            try:
                entries = self.graphql(
                    "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                    "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
                )["workspaceOrError"]["locationEntries"]
            except OSError:
                entries = []
            loaded = {e["name"] for e in entries if e["loadStatus"] == "LOADED"}
            errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            assert not errors, errors
            if locations <= loaded:
                return time.monotonic() - self.started
            time.sleep(1)
        raise TimeoutError(f"dagster dev did not load {locations} in {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
