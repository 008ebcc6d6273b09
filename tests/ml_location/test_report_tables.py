"""The demo's report on warehouses built by hand: exact row counts, an empty quarantine, and tables that are
not there (yet), without a crash."""

import json
from datetime import UTC, datetime

import duckdb

from demo import report


def analytics_with_deleted_rows(warehouse) -> None:
    """A mart whose rows were deleted after it was written: DuckDB's estimated_size still counts them."""
    with duckdb.connect(str(warehouse.analytics_db)) as con:
        con.execute("create schema marts; create schema quarantine")
        con.execute("create table marts.customer_order_summary as select range as customer_id from range(5000)")
        con.execute("delete from marts.customer_order_summary where customer_id >= 1234")
        con.execute("create table quarantine.rejected_orders (order_id bigint, reason varchar)")


def test_exact_counts_an_empty_quarantine_and_no_ml_warehouse_yet(warehouse, capsys):
    analytics_with_deleted_rows(warehouse)
    assert report.main() == 0
    out = capsys.readouterr().out
    assert "marts.customer_order_summary" in out and "1,234 rows" in out and "5,000" not in out
    assert "quarantine.rejected_orders" in out and "most common reasons rows were rejected: none" in out
    assert f"{warehouse.root / 'ml.duckdb'} does not exist yet" in out


def test_models_and_predictions_that_are_missing_or_not_trained(warehouse, capsys):
    analytics_with_deleted_rows(warehouse)
    reason = "customer_churn_model was not trained: 0 churned and 400 retained; set a shorter churn window."
    with duckdb.connect(str(warehouse.root / "ml.duckdb")) as con:
        con.execute(
            "create table customer_churn_model (version integer, trained_at timestamptz, data_version varchar, "
            "features varchar[], metrics json, model blob, not_trained_reason varchar)"
        )
        con.execute(
            "insert into customer_churn_model (trained_at, metrics, not_trained_reason) values (?, ?, ?)",
            [datetime.now(UTC), json.dumps({"churned": 0}), reason],
        )
    assert report.main() == 0
    out = capsys.readouterr().out
    assert f"  {reason}\n" in out
    assert (
        "customer_risk_scores: not rebuilt, no current model to score with (customer_risk_scores does not exist)" in out
    )
    assert "demand_forecast_model: not built yet" in out
    assert "Query them" not in out  # no predictions table to query
