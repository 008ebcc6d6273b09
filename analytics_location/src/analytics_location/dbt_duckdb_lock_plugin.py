"""A dbt-duckdb plugin (profiles.yml, `plugins:`) that says when a `dbt build` has to wait for the warehouse,
and for whom. dbt-duckdb retries a busy file without a word (`retries` in profiles.yml); its plugins are
asked for their connection settings just before it connects, the one moment a build can look at the lock
and say so. It imports only duckdb, dbt and warehouse_lock, so an analyst's plain `dbt build`, with no
Dagster involved, loads it."""

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.events.logging import AdapterLogger

from analytics_location.warehouse_lock import lock_holder

logger = AdapterLogger("DuckDB")


class Plugin(BasePlugin):
    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        if creds.path in ("", ":memory:"):
            return
        holder = lock_holder(Path(creds.path))
        if holder is None:
            return
        attempts = creds.retries.connect_attempts if creds.retries else 1
        seconds = sum(2**attempt for attempt in range(attempts - 1))  # dbt-duckdb sleeps 2**n after try n
        logger.info(
            f"{creds.path} is held by {holder}: this build waits for it (up to {attempts} tries over "
            f"{seconds} s, `retries` in profiles.yml) and stops, naming it, if it is still held."
        )
