"""Opening a DuckDB file that another process may be writing.

DuckDB allows one read-write process per file, and a reader cannot open it while a writer holds it
("Could not set lock on file ... Conflicting lock is held in <program> (PID n)"). Writers here are short
(a dbt build, one ML step), so a connection waits for the lock with a bounded exponential backoff, and
after the bound says who holds it."""

import re
import time
from pathlib import Path

import dagster as dg
import duckdb

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_LOCK_MESSAGES = ("Could not set lock on file", "Conflicting lock is held")
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class WarehouseFileMissing(dg.Failure):
    pass


class WarehouseLocked(dg.Failure):
    pass


def quoted(identifier: str) -> str:
    """A table or column name for SQL: checked against a strict pattern, then quoted."""
    if not IDENTIFIER.match(identifier):
        raise ValueError(f"{identifier!r} is not a valid table or column name (lower case, digits, _)")
    return f'"{identifier}"'


def connect(path: Path, *, read_only: bool, lock_timeout_seconds: float, what: str) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise WarehouseFileMissing(
            description=f"{path} does not exist: {what} has not been built in this warehouse "
            f"(WAREHOUSE_DIR={path.parent}). Check WAREHOUSE_DIR, or build it first."
        )
    deadline = time.monotonic() + lock_timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not any(message in str(error) for message in _LOCK_MESSAGES):
                raise
            if time.monotonic() + delay > deadline:
                # The message names the holder: DuckDB's own error, chained, would add a second message and
                # stack trace under it in the UI.
                raise WarehouseLocked(description=_locked_message(path, error, lock_timeout_seconds)) from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _locked_message(path: Path, error: duckdb.IOException, waited: float) -> str:
    holder = _HOLDER.search(str(error))
    who = f"{holder['program']} (PID {holder['pid']})" if holder else "another process"
    return (
        f"{path} stayed locked by a writer for {waited:.0f} s: {who} holds it. If it is a dbt build or a "
        "Dagster run, wait for it to finish and retry; if that process is stuck, stop it. "
        "(DuckDB allows one writing process per file, and no reader while it writes.)"
    )
