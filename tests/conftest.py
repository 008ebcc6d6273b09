"""Shared fixtures: every test works on its own temporary warehouse, never on the repo's warehouse/."""

import os
import subprocess
import sys
from pathlib import Path

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

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        """Run the dbt CLI as an analyst would, but with target/ and logs/ in the temp dir, so tests
        never touch each other's or the developer's artifacts."""
        return subprocess.run(
            [
                str(BIN / "dbt"),
                *args,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(self.root / "target"),
                "--log-path",
                str(self.root / "logs"),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    return Warehouse(tmp_path / "warehouse")


@pytest.fixture(scope="session")
def new_warehouse(tmp_path_factory):
    """For module-scoped fixtures that build once and let several tests look: new_warehouse("name")."""
    return lambda name="warehouse": Warehouse(tmp_path_factory.mktemp(name) / "warehouse")
