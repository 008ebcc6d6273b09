"""Simulates the source systems: writes the raw landing files (customers, products, orders) that the
analytics dbt project reads from $WAREHOUSE_DIR/raw/. Not part of the pipeline, not a Dagster asset."""
