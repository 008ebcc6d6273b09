"""Where the shared warehouse lives: the one definition of every data path both teams use.

`WAREHOUSE_DIR` (default: `warehouse/` at the repo root) holds `analytics.duckdb` (written by dbt),
`ml.duckdb` (written by the ML location) and `raw/` (the landing files). A relative `WAREHOUSE_DIR` is
taken from the repo root, as dbt's profiles.yml does, so no tool depends on the current directory.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
WAREHOUSE_DIR_ENV = "WAREHOUSE_DIR"


def warehouse_dir() -> Path:
    return REPO_ROOT / os.environ.get(WAREHOUSE_DIR_ENV, "warehouse")  # an absolute value replaces the root


def analytics_db() -> Path:
    return warehouse_dir() / "analytics.duckdb"


def ml_db() -> Path:
    return warehouse_dir() / "ml.duckdb"


def raw_dir() -> Path:
    return warehouse_dir() / "raw"


def alerts_file() -> Path:
    """Where failure alerts go when no Slack token is configured: one JSON object per line."""
    return warehouse_dir() / "alerts.jsonl"
