"""Helpers the tests share: a temporary warehouse, running a code location in-process, reading failures."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from datagen.generate import Sizes, generate

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "analytics_dbt"
BIN = Path(sys.executable).parent


class Warehouse:
    """A temporary $WAREHOUSE_DIR, with helpers to fill raw/ and to run dbt against it."""

    def __init__(self, root: Path):
        self.root = root
        self.raw = root / "raw"
        self.raw.mkdir(parents=True)
        self.env = {**os.environ, "WAREHOUSE_DIR": str(root)}

    @property
    def analytics_db(self) -> Path:
        return self.root / "analytics.duckdb"

    def generate(self, orders: int = 20_000, **kwargs):
        return generate(self.raw, Sizes.for_orders(orders), **kwargs)

    def write_raw(self, name: str, text: str) -> Path:
        """A raw file from literal text (CSV with header), as a source system could drop it."""
        path = self.raw / name
        path.write_text(text.strip() + "\n" if text.strip() else "")
        return path

    @contextmanager
    def active(self) -> Iterator["Warehouse"]:
        """WAREHOUSE_DIR points here inside the block: for module-scoped fixtures, which cannot use the
        function-scoped monkeypatch."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("WAREHOUSE_DIR", str(self.root))
            yield self

    def dbt_command(self, *args: str) -> list[str]:
        """The dbt CLI as an analyst runs it, but with target/ and logs/ in the temp dir, so tests never
        touch each other's or the developer's artifacts."""
        return [
            str(BIN / "dbt"),
            *args,
            *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
            *("--target-path", str(self.root / "target"), "--log-path", str(self.root / "logs")),
        ]

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.dbt_command(*args), env=self.env, capture_output=True, text=True, check=False)


def materialize(defs: dg.Definitions, **kwargs) -> dg.ExecuteInProcessResult:
    """Run the assets of a code location's Definitions in this process, on a throwaway instance."""
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), **kwargs)


def step_failure(result: dg.ExecuteInProcessResult) -> str:
    """The error of the run's one failed step, as the UI shows it."""
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return str(failure.event_specific_data.error)


def run_bench(out: Path, earlier: dict, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """`python -m bench ARGS --out OUT --work OUT/work`, with OUT/results.json holding `earlier` first (the keys
    a run must keep); asserts the run succeeded; returns its output and the results.json it wrote."""
    (out / "results.json").write_text(json.dumps(earlier))
    result = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--out", str(out), "--work", str(out / "work")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads((out / "results.json").read_text())


# The contract's types (models/marts/*.yml, portable spellings) as DuckDB names them: what a mart's page shows,
# after a Dagster build as after a hand build.
CONTRACT_TYPES_IN_DUCKDB = {"bigint": "BIGINT", "varchar": "VARCHAR", "float8": "DOUBLE", "date": "DATE"}


def contract_types(manifest: dict, model: str) -> list[tuple[str, str]]:
    columns = manifest["nodes"][f"model.analytics.{model}"]["columns"]
    return [(name, CONTRACT_TYPES_IN_DUCKDB[column["data_type"]]) for name, column in columns.items()]
