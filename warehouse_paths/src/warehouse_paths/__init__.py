"""Where the shared warehouse lives: the one definition of every data path both teams use.

`WAREHOUSE_DIR` holds `analytics.duckdb` (written by dbt), `ml.duckdb` (written by the ML location) and
`raw/` (the landing files). The folder comes from the environment only, never from where this package
is installed (installed without --editable, as in a container image, it sits in site-packages). The
Makefile exports it as an absolute path (default: `warehouse/` at the repo root); a relative value is
taken from the current directory, and unset means `warehouse` there.
"""

import os
from pathlib import Path

WAREHOUSE_DIR_ENV = "WAREHOUSE_DIR"


def warehouse_dir() -> Path:
    return Path(os.environ.get(WAREHOUSE_DIR_ENV) or "warehouse").absolute()


def analytics_db(root: Path | str | None = None) -> Path:
    """The analytics team's DuckDB file, in `root` (default: $WAREHOUSE_DIR)."""
    return Path(root or warehouse_dir()) / "analytics.duckdb"


def ml_db(root: Path | str | None = None) -> Path:
    return Path(root or warehouse_dir()) / "ml.duckdb"


def raw_dir(root: Path | str | None = None) -> Path:
    return Path(root or warehouse_dir()) / "raw"


def alerts_file(root: Path | str | None = None) -> Path:
    """Where failure alerts go when no Slack token is configured: one JSON object per line."""
    return Path(root or warehouse_dir()) / "alerts.jsonl"
