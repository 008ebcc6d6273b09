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


DAGSTER_HOME_ENV = "DAGSTER_HOME"


def dagster_home(root: Path | str | None = None) -> Path:
    """The Dagster instance of `make demo` and `make ui`: $DAGSTER_HOME when set, else one per warehouse, in
    `root` (default: $WAREHOUSE_DIR), so that two warehouses never share runs or observations."""
    if root is None and os.environ.get(DAGSTER_HOME_ENV):
        return Path(os.environ[DAGSTER_HOME_ENV]).absolute()
    return Path(root or warehouse_dir()) / "dagster_home"


def alerts_file(root: Path | str | None = None) -> Path:
    """Where failure alerts go when no Slack token is configured: one JSON object per line."""
    return Path(root or warehouse_dir()) / "alerts.jsonl"


# Which warehouse the dbt project builds and the ML location reads: the embedded DuckDB files above
# (default) or a PostgreSQL server, where each team logs in with its own URL
# (postgresql://user:password@host:port/database, both to the same database).
WAREHOUSE_BACKEND_ENV = "WAREHOUSE_BACKEND"
BACKENDS = ("duckdb", "postgres")
ANALYTICS_PG_URL_ENV = "ANALYTICS_PG_URL"
ML_PG_URL_ENV = "ML_PG_URL"


def warehouse_backend() -> str:
    """`duckdb` or `postgres`, from $WAREHOUSE_BACKEND (unset or empty: `duckdb`)."""
    backend = (os.environ.get(WAREHOUSE_BACKEND_ENV) or "duckdb").strip().lower()
    if backend not in BACKENDS:
        raise ValueError(
            f"{WAREHOUSE_BACKEND_ENV}={os.environ[WAREHOUSE_BACKEND_ENV]!r} is not a warehouse backend: "
            f"use one of {', '.join(BACKENDS)} (unset means duckdb)."
        )
    return backend


# The schemas of the PostgreSQL warehouse: the analytics login owns these (dbt builds them; `marts` holds
# the public models, the only schema the ML login may read, published there from `marts_build` at the end of
# each build), and the ML login owns `ml` (its assets' tables).
PG_ANALYTICS_SCHEMAS = ("raw", "intermediate", "staging", "quarantine", "marts_build", "marts", "ledger")
PG_PUBLIC_SCHEMA = "marts"
PG_ML_SCHEMA = "ml"


def landing_fingerprint(path: Path | str) -> str:
    """A landing file's fingerprint, `<size in bytes>:<modification time in µs since the epoch>`: one stat,
    so a file replaced under the same name is a new delivery, and a file that is only touched costs a
    recompute of its rows, never a wrong result. The one definition of a batch's identity: the raw files'
    sensor gives it as each batch's data version, the PostgreSQL raw loader records it, and dbt's hook on
    DuckDB computes the same text from DuckDB's read_blob (macros/raw_files.sql expose_batches, `size:epoch_us`)."""
    stat = Path(path).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns // 1000}"
