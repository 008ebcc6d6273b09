"""What keeps a new raw file's way to new scores short (docs/latency.md): both locations execute a run's
steps in the run's process, the raw files' sensor and the automation sensors tick every 10 s, and the
instance reads its run queue every second and evaluates sensors in threads. Each setting, changed back to
Dagster's default, fails here."""

import dagster as dg
import pytest
import yaml
from support import REPO_ROOT

from analytics_location.definitions import defs as analytics_defs
from ml_location.definitions import defs as ml_defs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("defs, automation", [(analytics_defs, "analytics_automation"), (ml_defs, "ml_automation")])
def test_runs_execute_in_process_and_automation_ticks_every_10_s(defs, automation):
    assert defs.resolve_job_def("__ASSET_JOB").executor_def == dg.in_process_executor
    sensor = next(sensor for sensor in defs.sensors if sensor.name == automation)
    assert sensor.minimum_interval_seconds == 10


def test_the_raw_files_are_looked_at_every_10_s():
    sensor = next(sensor for sensor in analytics_defs.sensors if sensor.name == "raw_files_sensor")
    assert sensor.minimum_interval_seconds == 10


def test_the_instance_reads_its_queue_every_second_and_runs_sensors_in_threads():
    config = yaml.safe_load((REPO_ROOT / "serve" / "dagster.yaml").read_text())
    assert config["run_coordinator"]["config"]["dequeue_interval_seconds"] == 1
    assert config["sensors"]["use_threads"] and config["auto_materialize"]["use_threads"]
