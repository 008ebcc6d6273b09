"""`make serve`'s entry point (python -m serve) against a real PostgreSQL started for the test: both code
locations served over gRPC from their own environments, a run launched through the GraphQL API, the ML
assets following by automation, the runs in PostgreSQL, and nothing left running after SIGTERM."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time

import psutil
import psycopg2
import pytest
from dagster_dev import LAUNCH
from postgres_server import database_url, free_port
from shop_histories import write_shop
from support import BIN, REPO_ROOT

from serve.readiness import graphql, loaded_locations

RUNS = """
{ runsOrError { ... on Runs { results { runId status startTime endTime
    repositoryOrigin { repositoryLocationName } tags { key value } } } } }"""
ML_ASSETS = ["customer_features", "product_features", "customer_risk_scores", "product_demand_forecasts"]
LATEST = """
query ($keys: [AssetKeyInput!]) {
  assetNodes(assetKeys: $keys) { assetKey { path } assetMaterializations(limit: 1) { runId timestamp } }
}"""
# Written by the run's own processes (the run worker and its step workers), not by the daemon or the UI;
# event_logs stores a run's start and success under their older names.
RUN_WORKER_EVENTS = ["PIPELINE_START", "STEP_START", "ASSET_MATERIALIZATION", "STEP_SUCCESS", "PIPELINE_SUCCESS"]
BOUND_SECONDS = 900  # per phase: generous, the machine may be shared


class ProcessWatch:
    """Samples serve's process tree every half second: every process it ever had, and the interpreter
    (argv[0]) each one ran."""

    def __init__(self, root: psutil.Process):
        self.root = root
        self.seen: dict[int, psutil.Process] = {}
        self.interpreters: dict[int, str] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self) -> None:
        while not self.stopped.is_set():
            try:
                children = self.root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for child in children:
                self.seen.setdefault(child.pid, child)
                if child.pid not in self.interpreters:
                    with contextlib.suppress(psutil.Error):
                        # Empty for a process that has just exited (a zombie) or is still being exec'd: the
                        # next sample asks again, rather than ending this thread on an IndexError.
                        if argv := child.cmdline():
                            self.interpreters[child.pid] = argv[0]
            time.sleep(0.5)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def alive(self) -> list[str]:
        found = []
        for process in [self.root, *self.seen.values()]:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(f"{process.pid} {' '.join(process.cmdline())[:150]}")
            except psutil.NoSuchProcess:
                pass
        return found


def serve_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_PG_URL", "SLACK_BOT_TOKEN")}
    return {**env, "DBT_PROJECT_DIR": str(REPO_ROOT / "analytics_dbt"), **overrides}


@pytest.fixture(scope="module")
def served(postgres_admin_url, new_warehouse, tmp_path_factory):
    warehouse = new_warehouse("serve")
    write_shop(warehouse.raw)  # models that beat their baselines: the predictions follow (shop_histories.py)
    home = tmp_path_factory.mktemp("serve_home")
    pg_url = database_url(postgres_admin_url, "dagster_serve_test")
    port = free_port()
    env = serve_env(
        DAGSTER_PG_URL=pg_url,
        DAGSTER_SERVE_HOME=str(home),
        WAREHOUSE_DIR=str(warehouse.root),
        UI_HOST="127.0.0.1",
        UI_PORT=str(port),
        ANALYTICS_GRPC_PORT=str(free_port()),
        ML_GRPC_PORT=str(free_port()),
    )
    log = home / "serve.log"
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "serve"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    watch = ProcessWatch(psutil.Process(process.pid))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + BOUND_SECONDS
        while {"analytics", "ml"} - loaded_locations(url):
            assert process.poll() is None, f"serve exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"both locations not loaded in {BOUND_SECONDS} s; see {log}"
            time.sleep(1)
        yield {
            "url": url,
            "pg_url": pg_url,
            "process": process,
            "watch": watch,
            "log": log,
            "load_seconds": time.monotonic() - started,
        }
    finally:
        # Only serve itself is signalled: it must stop everything it started.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
        watch.stop()
        for pid in [process.pid, *watch.seen]:  # whatever the outcome, nothing outlives the test
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def runs(url: str) -> list[dict]:
    return graphql(url, RUNS)["runsOrError"]["results"]


def test_a_run_launched_through_graphql_is_followed_by_ml_automation(served, record_property):
    url = served["url"]
    record_property("serve_seconds_until_both_locations_loaded", round(served["load_seconds"], 1))
    params = {
        "selector": {
            "repositoryLocationName": "analytics",
            "repositoryName": "__repository__",
            "jobName": "daily_marts_build",
        },
        "runConfigData": {},
    }
    launched = graphql(url, LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        latest = {
            n["assetKey"]["path"][0]: (n["assetMaterializations"] or [None])[0]
            for n in graphql(url, LATEST, keys=[{"path": [name]} for name in ML_ASSETS])["assetNodes"]
        }
        by_id = {run["runId"]: run for run in runs(url)}
        ours = by_id[run_id]
        assert ours["status"] not in ("FAILURE", "CANCELED"), f"the analytics run failed; see {served['log']}"
        if ours["status"] == "SUCCESS" and all(
            m and float(m["timestamp"]) / 1000 > ours["endTime"] for m in latest.values()
        ):
            statuses = {by_id[m["runId"]]["status"] for m in latest.values()}
            assert statuses <= {"STARTED", "SUCCESS"}, f"an ML run ended {statuses}; see {served['log']}"
            if statuses == {"SUCCESS"}:  # the ML runs finished
                break
        time.sleep(3)
    else:
        raise AssertionError(f"ML assets not materialized by automation within {BOUND_SECONDS} s; see {served['log']}")

    ml_run_ids = {m["runId"] for m in latest.values()}
    for ml_run_id in ml_run_ids:
        run = by_id[ml_run_id]
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert tags.get("dagster/sensor_name") == "ml_automation", tags  # nobody launched it
        assert run["repositoryOrigin"]["repositoryLocationName"] == "ml"
    # The analytics run that last ended before the ML run started is the one that triggered it.
    first_ml_start = min(by_id[i]["startTime"] for i in ml_run_ids)
    analytics_ends = [
        r["endTime"]
        for r in by_id.values()
        if r["repositoryOrigin"]["repositoryLocationName"] == "analytics"
        and r["endTime"]
        and r["endTime"] <= first_ml_start
    ]
    gap = first_ml_start - max(analytics_ends)
    record_property("seconds_from_analytics_run_end_to_ml_run_start", round(gap, 1))
    print(
        f"\nserve loaded both locations in {served['load_seconds']:.0f} s; "
        f"ML run started {gap:.0f} s after the analytics run ended"
    )

    # The runs are in PostgreSQL's tables, where the instance stores them, with their event logs.
    connection = psycopg2.connect(served["pg_url"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("select run_id, status from runs")
            stored = dict(cursor.fetchall())
            cursor.execute(
                "select run_id, event from event_logs where run_id = any(%s) and dagster_event_type = any(%s)",
                ([run_id, *ml_run_ids], RUN_WORKER_EVENTS),
            )
            events = cursor.fetchall()
    finally:
        connection.close()
    assert stored.get(run_id) == "SUCCESS"
    assert all(stored.get(i) == "SUCCESS" for i in ml_run_ids), stored

    # Each run executed in its own location's environment: every process that wrote those events ran that
    # location's interpreter.
    pids: dict[str, set[int]] = {}
    for event_run_id, event in events:
        pids.setdefault(event_run_id, set()).add(json.loads(event)["dagster_event"]["pid"])
    interpreters = served["watch"].interpreters
    expected = {run_id: "analytics"} | {i: "ml" for i in ml_run_ids}
    for each_run, location in expected.items():
        seen = {interpreters[pid] for pid in pids[each_run] if pid in interpreters}
        assert seen == {str(REPO_ROOT / ".venvs" / location / "bin" / "python")}, (location, seen, pids[each_run])


def test_stopping_serve_leaves_no_process_behind(served):
    process, watch = served["process"], served["watch"]
    assert len(watch.seen) >= 4  # two code servers, the webserver and the daemon, at least
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=90)
    watch.stop()
    assert watch.alive() == []
    assert process.returncode == 0, served["log"].read_text()[-2000:]


@pytest.mark.parametrize("pg_url", ["", "postgresql://dagster:secret@127.0.0.1:{port}/dagster", "mysql://x@h/d"])
def test_serve_without_a_usable_database_stops_at_once_saying_what_to_set(pg_url, tmp_path):
    env = serve_env(DAGSTER_SERVE_HOME=str(tmp_path / "home"), DAGSTER_PG_URL=pg_url.format(port=free_port()))
    started = time.monotonic()
    result = subprocess.run(
        [str(BIN / "python"), "-m", "serve"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert time.monotonic() - started < 30
    [message] = result.stderr.strip().splitlines()  # one message, no traceback
    assert ("DAGSTER_PG_URL" in message and "postgresql://user:password@host:5432/database" in message) or (
        "Cannot connect" in message
    ), message
    assert "secret" not in message  # the password is never printed
    assert not (tmp_path / "home").exists()  # nothing started, nothing written
    assert "serve: starting" not in result.stdout


def test_serve_refuses_a_grpc_port_already_serving_and_names_its_holder(postgres_admin_url, tmp_path):
    """A stale code server on the location's port would pass for serve's own: serve stops before starting
    anything, naming the port, its variable and the process holding it."""
    pg_url = database_url(postgres_admin_url, "dagster_serve_port_test")
    port = free_port()
    with socket.socket() as stale:
        stale.bind(("127.0.0.1", port))
        stale.listen()
        env = serve_env(DAGSTER_SERVE_HOME=str(tmp_path / "home"), DAGSTER_PG_URL=pg_url, ANALYTICS_GRPC_PORT=str(port))
        result = subprocess.run(
            [str(BIN / "python"), "-m", "serve"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2
    [message] = result.stderr.strip().splitlines()
    assert message.startswith(
        f"make serve: port {port} (ANALYTICS_GRPC_PORT) is already in use by process {os.getpid()} "
    )
    assert "set ANALYTICS_GRPC_PORT to a free port" in message
    assert "serve: starting" not in result.stdout
