"""Data a model cannot learn from: every customer orders every month, so nobody churns at the default
window of three months. The run succeeds, the churn model and its risk scores are reported as not built with
the reason, the demand side is built, and the demo's report prints whole."""

import dagster as dg
import duckdb
import pytest
from shop_histories import write_shop
from support import materialize

import analytics_location.definitions as analytics
import ml_location.definitions as ml
from demo import report
from ml_location.ml_warehouse import MlWarehouse
from ml_location.model_store import load_latest_model

CUSTOMERS = 400


@pytest.fixture(scope="module")
def no_churn(new_warehouse):
    warehouse = new_warehouse("no_churn")
    assert not write_shop(warehouse.raw, customers=CUSTOMERS, basic_churn=0.0, premium_churn=0.0)["churned"]
    instance = dg.DagsterInstance.ephemeral()
    with warehouse.active():
        assert materialize(analytics.defs).success
        result = ml.defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    return warehouse, result, instance


def materialized(result) -> set[str]:
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def test_the_run_succeeds_and_builds_the_demand_side(no_churn):
    _, result, _ = no_churn
    assert result.success
    assert materialized(result) == {
        "customer_features",
        "product_features",
        "demand_forecast_model",
        "product_demand_forecasts",
    }
    skipped = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SKIPPED]
    assert skipped == ["customer_risk_scores"]
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]


def test_the_churn_model_records_why_it_was_not_trained(no_churn):
    warehouse, result, _ = no_churn
    [observation] = [
        e.asset_observation_data.asset_observation
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION and e.asset_key == dg.AssetKey("customer_churn_model")
    ]
    recorded = {key: value.value for key, value in observation.metadata.items()}
    assert recorded["trained"] is False
    figures = recorded["not_trained_figures"]
    assert (figures["training_customers"], figures["churned"], figures["retained"]) == (CUSTOMERS, 0, CUSTOMERS)
    assert figures["churn_window_months"] == 3
    # Nothing numeric beside the figures' one entry: the UI would plot each number as a chart of its own.
    numbers = [key for key, value in recorded.items() if isinstance(value, int | float) and not isinstance(value, bool)]
    assert numbers == []
    reason = recorded["not_trained_reason"]
    assert f"{CUSTOMERS} customers with orders before the cutoff, 0 churned" in reason
    assert "a shorter churn window (resource `churn`, months_without_order, now 3)" in reason
    # Stored with the model's attempts, so nothing scores with an older model as if it were current.
    ml_warehouse = MlWarehouse(warehouse_dir=str(warehouse.root))
    with pytest.raises(dg.Failure, match="trained no model") as failure:
        load_latest_model(ml_warehouse, "customer_churn_model")
    assert reason in failure.value.description
    with duckdb.connect(str(warehouse.root / "ml.duckdb"), read_only=True) as con:
        tables = {name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "customer_risk_scores" not in tables


def test_the_reason_is_logged_once_without_a_stack_trace(no_churn):
    _, result, instance = no_churn
    logs = instance.all_logs(result.run_id)
    assert len([entry for entry in logs if "was not trained" in entry.user_message]) == 1
    assert not [entry for entry in logs if entry.error_info or "Traceback" in entry.user_message]


def test_the_demo_report_prints_whole(no_churn, capsys):
    warehouse, _, _ = no_churn
    with warehouse.active():
        assert report.main() == 0
    out = capsys.readouterr().out
    assert out.count("customer_churn_model was not trained:") == 1
    assert "customer_risk_scores: not rebuilt, no current model to score with" in out
    assert "demand_forecast_model v1: mae" in out
    assert "most common reasons rows were rejected: none" in out
    assert f"marts.customer_order_summary {CUSTOMERS:>{12 + 38 - len('marts.customer_order_summary')},} rows" in out


def test_automation_does_not_retry_a_model_that_cannot_learn(no_churn):
    """After the automation's own run over this data, the next tick requests nothing: the untrained model
    is not requested again and again."""
    warehouse, _, _ = no_churn
    instance = dg.DagsterInstance.ephemeral()
    start = dg.evaluate_automation_conditions(defs=ml.defs, instance=instance)
    for mart in ("customer_order_summary", "customer_monthly_activity", "product_performance", "product_monthly_sales"):
        instance.report_runless_asset_event(dg.AssetMaterialization(mart))
    first = dg.evaluate_automation_conditions(defs=ml.defs, instance=instance, cursor=start.cursor)
    requested = [key for key in ml.defs.resolve_asset_graph().materializable_asset_keys if first.get_num_requested(key)]
    assert dg.AssetKey("customer_churn_model") in requested
    with warehouse.active():
        run = ml.defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=requested
        )
    assert run.success and "customer_churn_model" not in materialized(run)
    second = dg.evaluate_automation_conditions(defs=ml.defs, instance=instance, cursor=first.cursor)
    again = [result.key.to_user_string() for result in second.results if result.true_subset.size]
    assert second.total_requested == 0, again


def test_the_churn_window_is_resource_configuration_shown_as_metadata(no_churn):
    warehouse, _, _ = no_churn
    with warehouse.active():
        result = materialize(
            ml.defs,
            asset_selection=[dg.AssetKey("customer_features")],
            run_config={"resources": {"churn": {"config": {"months_without_order": 5}}}},
        )
    [event] = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["churn_months_without_order"] == 5
    assert metadata["training_as_of"] == "2024-08-01"  # the data ends in December 2024: five months back


def test_its_checks_say_it_was_not_trained_and_nothing_scores_with_it(no_churn):
    _, result, instance = no_churn
    checks = [c for c in result.get_asset_check_evaluations() if c.asset_key == dg.AssetKey("customer_churn_model")]
    assert sorted(c.check_name for c in checks) == ["beats_baseline", "no_regression"]
    assert all(not c.passed and c.severity == dg.AssetCheckSeverity.WARN for c in checks)
    assert all("trained no model" in c.description for c in checks)
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert not [m for m in messages if "without gating" in m or "emitted no result" in m.lower()]
    assert [m for m in messages if "customer_churn_model trained no model, so customer_risk_scores is not run" in m]
