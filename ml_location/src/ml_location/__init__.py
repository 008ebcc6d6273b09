"""Dagster code location `ml`: features, models and predictions built on the analytics team's public
marts, which it knows by asset key only and reads straight from the shared DuckDB file."""
