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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DagsterDev:
    def __init__(self, home: Path, warehouse: Path, log: Path):
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
