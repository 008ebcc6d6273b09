"""The output checks as a run evaluates them, on marts built by hand (no dbt): a mart that breaks its own
contract (a customer twice) makes customer_features fail its blocking key check, and nothing downstream
runs on it."""

import dagster as dg
import duckdb
from support import materialize

import ml_location.definitions as ml


def marts_with_a_duplicated_customer(path) -> None:
    """Twelve customers over eight months, customer 1 listed twice in customer_order_summary (and so twice in
    the scoring snapshot, which is built from it)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_order_summary as select range::bigint as customer_id, 'basic' as tier, "
            "1::bigint as total_orders, 10.0::double as total_spent from range(1, 13) union all "
            "select 1, 'basic', 1, 10.0"
        )
        con.execute(
            "create table marts.customer_monthly_activity as select c.range::bigint as customer_id, "
            "(date '2024-01-01' + to_months(m.range))::date as month, 1::bigint as orders, 10.0::double as revenue "
            "from range(1, 13) c, range(8) m"
        )


def test_a_duplicated_key_fails_the_blocking_check_and_stops_the_models(warehouse):
    marts_with_a_duplicated_customer(warehouse.analytics_db)
    result = materialize(
        ml.defs,
        raise_on_error=False,
        asset_selection=[dg.AssetKey("customer_features"), dg.AssetKey("customer_churn_model")],
    )
    assert not result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["keys_unique"].passed
    assert checks["keys_unique"].description == (
        "2 (customer_id, snapshot) appear more than once, in 4 rows, e.g. (1, 'training'), (1, 'scoring')."
    )
    # The mart's 13 rows are 13 scoring rows: the row count alone would not have caught it.
    assert checks["one_scoring_row_per_customer"].passed
    failed = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failed == ["customer_features"]
    assert "customer_churn_model" not in {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
