"""Dagster code location `analytics`: the analytics team's dbt project (analytics_dbt/) as assets."""
