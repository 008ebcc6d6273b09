"""The benchmark still works end to end (at a tiny size; the real sizes are not for CI)."""

import json
import subprocess
import sys

from support import REPO_ROOT


def test_the_benchmark_runs_and_reports_every_method(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--orders", "20000", "--out", str(tmp_path), "--work", str(tmp_path / "work")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["orders"] == 20_000
    for method in ("baseline", "floor", "ours", "ours_extra"):
        assert report[method]["ok"], (method, report[method]["problem"])
        assert report[method]["total_s"] > 0 and report[method]["peak_mb"] > 0
        assert report[method]["stages"]
    assert {"marts", "features"} <= set(report["ours"]["stages"])
    assert report["ratios"]["baseline_over_ours_time"] > 0
    assert (tmp_path / "chart.png").stat().st_size > 0
    assert "ours (dbt + Dagster)" in result.stdout
