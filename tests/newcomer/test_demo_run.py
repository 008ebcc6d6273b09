"""`make demo`'s whole output on a small warehouse: a line per stage, no colour when piped, the summary,
under 40 lines, and the logs it names written."""

import os
import re
import subprocess
import sys

import pytest
from shop_histories import write_shop
from support import REPO_ROOT

# The whole pipeline through Dagster (minutes on 2 cores): left out of make test-fast.
pytestmark = pytest.mark.slow

ESCAPE = "\x1b"


def test_the_demo_prints_a_line_per_stage_and_the_summary_under_40_lines(tmp_path):
    warehouse = tmp_path / "warehouse"
    env = {**os.environ, "WAREHOUSE_DIR": str(warehouse), "DEMO_LOGS": str(tmp_path / "logs")}
    env.pop("DAGSTER_HOME", None)  # a throwaway instance
    # Histories where each model beats its baseline, so the blocking model checks let the predictions follow;
    # on a few thousand generated lines no model does (shop_histories.py).
    (warehouse / "raw").mkdir(parents=True)
    write_shop(warehouse / "raw")

    result = subprocess.run(
        [sys.executable, "-m", "demo"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )

    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(lines) < 40, result.stdout
    assert ESCAPE not in result.stdout
    stages = [line.split(":")[0] for line in lines if ": done in " in line]
    assert stages == ["data", "analytics location", "ml location"]
    assert all(re.search(r"done in \d+ s \(\d+ assets, \d+ checks", line) for line in lines[1:3]), lines[:3]
    for name in ("data", "analytics", "ml"):
        assert (tmp_path / "logs" / f"{name}.log").stat().st_size > 0
    assert "Models, on held-out data (model vs baseline):" in result.stdout


def test_a_small_shop_demo_fails_in_words_and_still_reports(tmp_path):
    """5 customers, 4 products: the demand model does not beat its baseline and the churn model cannot learn.
    make demo exits non-zero, prints the model's own sentence, then the report; no exception class, no trace."""
    warehouse = tmp_path / "warehouse"
    env = {**os.environ, "WAREHOUSE_DIR": str(warehouse), "DEMO_LOGS": str(tmp_path / "logs")}
    env.pop("DAGSTER_HOME", None)
    generate = [sys.executable, "-m", "datagen", "--orders", "2000", "--customers", "5", "--products", "4"]
    subprocess.run(generate, env=env, cwd=REPO_ROOT, capture_output=True, check=True)

    result = subprocess.run(
        [sys.executable, "-m", "demo"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "ml failed:\ndemand_forecast_model failed its blocking checks, so nothing scores with it" in output
    assert "beats_baseline: Not better than the baseline on mae" in output
    assert "Models, on held-out data (model vs baseline):" in output  # the report, after the failure
    assert "customer_churn_model was not trained:" in output
    assert "dagster._core" not in output and "Traceback" not in output and "Error:" not in output
