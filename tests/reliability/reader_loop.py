"""A stand-in for the ML location's reads, run as its own process by the concurrency test: reads the public
marts through the ML location's reader (read-only, waits with bounded backoff) until stdin closes, pausing
between reads, and prints one JSON line per read: how long it waited for the file, and what it saw.

With WAREHOUSE_BACKEND=postgres it reads the server as the ML login ($ML_PG_URL), all marts in one snapshot
(the reader's views); "waited" is then the whole read, an upper bound of any wait."""

import json
import os
import select
import sys
import time

from marts import mart_states

from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.upstream import PUBLIC_MODELS

pause = float(sys.argv[1])
on_server = os.environ.get("WAREHOUSE_BACKEND") == "postgres"
reader = AnalyticsWarehouse(
    warehouse_dir=os.environ["WAREHOUSE_DIR"],
    lock_timeout_seconds=120,
    postgres_url=os.environ["ML_PG_URL"] if on_server else None,
)
print("ready", flush=True)
while True:
    started = time.monotonic()
    try:
        with reader.views(*PUBLIC_MODELS) if on_server else reader.connection() as con:
            waited = time.monotonic() - started
            seen = {"ok": True, "waited": waited, "state": mart_states(con, None if on_server else "marts")}
    except Exception as error:  # reported, and counted as a failure by the test
        seen = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    # Printed once the file is closed: a slow consumer of this output must never keep the file open.
    print(json.dumps(seen), flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], pause)
    if ready and not sys.stdin.readline():  # stdin closed: the test is done
        break
