"""`make ui` as a user runs it after `make demo`, started from a script: the instance is the warehouse's own (the
demo's runs, no other warehouse's), nothing is rebuilt on a warehouse that is up to date, and SIGTERM stops
every process it started."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster_dev import free_port, runs, ticks
from shop_histories import write_shop
from support import REPO_ROOT

from serve.readiness import loaded_locations

# Another warehouse's run, recorded the way make demo records one: in the instance warehouse_paths names.
OTHER_RUN = """
import dagster as dg
from analytics_location.raw_files import raw_files
from serve.instance import prepare
from warehouse_paths import dagster_home
instance = dg.DagsterInstance.from_config(str(prepare(dagster_home())))
job = dg.Definitions(assets=[raw_files]).resolve_implicit_global_asset_job_def()
print(job.execute_in_process(instance=instance).run_id)
"""


def user_env(warehouse: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # a user who never set it
    return {**env, "WAREHOUSE_DIR": str(warehouse)}


def processes_of(warehouse: Path) -> list[int]:
    """The processes whose environment names this warehouse: everything make ui started, and its runs."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"WAREHOUSE_DIR={warehouse}\0".encode() in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


def default_signals() -> None:
    """make started as a terminal or a service manager starts it: SIGTERM and SIGINT at their defaults. The test
    process may ignore them (an xdist worker was seen to, late in a full run), and make keeps a signal its
    parent ignored ignored: it would neither stop nor pass SIGTERM on to make ui."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_ids(url: str) -> set[str]:
    return {run["runId"] for run in runs(url)}


def sensor_ticks(url: str, location: str, sensor: str) -> int:
    return len([tick for tick in ticks(url, location, sensor) if tick["status"] in ("SUCCESS", "SKIPPED")])


@pytest.fixture(scope="module")
def demo_then_ui(new_warehouse, tmp_path_factory):
    warehouse = new_warehouse("ui_after_demo")
    write_shop(warehouse.raw)
    demo = subprocess.run(
        ["make", "demo"], cwd=REPO_ROOT, env=user_env(warehouse.root), capture_output=True, text=True, check=False
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    other = new_warehouse("another_warehouse")
    write_shop(other.raw)
    other_run = subprocess.run(
        [sys.executable, "-c", OTHER_RUN], cwd=REPO_ROOT, env=user_env(other.root), capture_output=True, text=True
    )
    assert other_run.returncode == 0, other_run.stderr[-3000:]

    port = free_port()
    log = tmp_path_factory.mktemp("make_ui") / "make_ui.out"
    ui = subprocess.Popen(
        ["make", "ui", f"UI_PORT={port}"],
        cwd=REPO_ROOT,
        env=user_env(warehouse.root),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=default_signals,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while not {"analytics", "ml"} <= loaded_locations(url):
            assert ui.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
        yield warehouse, url, ui, log, other_run.stdout.split()[-1]
    finally:
        if ui.poll() is None:
            ui.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                ui.wait(timeout=60)
        for pid in processes_of(warehouse.root):  # whatever happened, nothing of it outlives the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_ui_shows_this_warehouse_s_runs_and_builds_nothing_on_an_up_to_date_one(demo_then_ui):
    warehouse, url, _, log, other_run = demo_then_ui
    demo_runs = run_ids(url)
    assert len(demo_runs) == 2, "the demo's two location runs, recorded in the warehouse's own instance"
    assert other_run not in demo_runs, "a run of another warehouse shows in this warehouse's UI"
    assert (warehouse.root / "dagster_home" / "dagster.yaml").exists()

    # Two ticks of the raw-files sensor, and the automation's, after the UI came up: no run.
    deadline = time.monotonic() + 120
    while not (
        sensor_ticks(url, "analytics", "raw_files_sensor") >= 2
        and sensor_ticks(url, "analytics", "analytics_automation") >= 2
        and sensor_ticks(url, "ml", "ml_automation") >= 2
    ):
        assert time.monotonic() < deadline, "the sensors did not tick twice in 120 s; see " + str(log)
        time.sleep(2)
    assert run_ids(url) == demo_runs, "the UI started on an up-to-date warehouse launched a run"
    # The whole log, where the terminal said, still there after the sensors ticked (the instance's logs/ folder
    # is Dagster's: its telemetry uploader empties it).
    assert "Serving dagster-webserver" in (warehouse.root / "logs" / "ui.log").read_text()


def test_sigterm_stops_make_ui_and_every_process_it_started(demo_then_ui):
    warehouse, _, ui, log, _ = demo_then_ui
    assert processes_of(warehouse.root), "nothing of make ui's is running"
    started = time.monotonic()
    ui.send_signal(signal.SIGTERM)  # to make alone, as a script or a service manager sends it
    ui.wait(timeout=30)
    stopped = time.monotonic() - started
    time.sleep(1)
    assert processes_of(warehouse.root) == [], f"left running after make ui exited ({stopped:.0f} s); see {log}"
    assert "stopping the UI" in log.read_text()
