"""Before a dbt build from Dagster: if another process holds analytics.duckdb (an analyst's `dbt build`, a
notebook), say so in the run's log, naming that process, and wait for it instead of starting dbt, whose
own retries are silent. DuckDB names the holder in its lock error ("Conflicting lock is held in <program>
(PID n)")."""

import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

POLL_SECONDS = 2.0
HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def lock_holder(database: Path) -> str | None:
    """'<program> (PID n)' of the process holding `database` open for writing, or None if it is free."""
    if not database.exists():
        return None
    try:
        duckdb.connect(str(database)).close()
    except duckdb.IOException as error:
        found = HOLDER.search(str(error))
        if found is None:
            raise
        return f"{found['program']} (PID {found['pid']})"
    return None


def wait_until_free(database: Path, log: Callable[[str], None], poll_seconds: float = POLL_SECONDS) -> float:
    """Wait while another process holds `database`, logging whom the build waits for; the seconds waited."""
    started, holder = time.monotonic(), lock_holder(database)
    if holder is None:
        return 0.0
    log(f"{database} is held by {holder}: waiting for it to finish before running dbt.")
    while (now_holding := lock_holder(database)) is not None:
        if now_holding != holder:
            holder = now_holding
            log(f"{database} is now held by {holder}: still waiting.")
        time.sleep(poll_seconds)
    waited = time.monotonic() - started
    log(f"{database} is free after {waited:.0f} s: running dbt.")
    return waited
