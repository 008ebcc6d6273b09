"""Writes to analytics.duckdb from Dagster go through one concurrency pool."""

# Every Dagster step that writes analytics.duckdb claims a slot of this pool. DuckDB allows one writing
# process per file, so the instance gives the pool one slot (see serve/dagster.yaml): runs that
# would write at the same time queue instead of failing on the file lock.
ANALYTICS_WAREHOUSE_POOL = "analytics_warehouse"
