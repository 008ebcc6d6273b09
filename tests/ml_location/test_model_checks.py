"""The blocking checks on models (model_quality.py) and on the ML tables (output_checks.py), each on a case
built to fail it: a model that cannot beat its baseline, a version worse than a constructed previous one,
feature and prediction frames with duplicated keys, missing values and missing rows."""

import json
import re

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from ml_location.features import CHURN_LABEL, CUSTOMER_FEATURES
from ml_location.ml_warehouse import MlWarehouse
from ml_location.model_quality import REGRESSION_TOLERANCE, beats_baseline, comparison_table, no_regression
from ml_location.model_store import load_latest_model, previous_accepted, save_model
from ml_location.models import Trained, train_churn_model
from ml_location.output_checks import keys_unique, row_count, values_present

pytestmark = pytest.mark.unit

CUSTOMERS = 400


def training_snapshot(recency_tells: bool, seed: int = 0) -> pd.DataFrame:
    """A training snapshot of CUSTOMERS customers, half of them churned. recency_tells: churners have gone
    `window` + 2 months without an order and everyone else ordered last month, so the baseline rule is perfect
    (ROC AUC 1.0) and no model can beat it. Otherwise everybody ordered last month (the rule ranks no one)
    and churn is the basic tier, which the model can learn."""
    rng = np.random.default_rng(seed)
    churned = np.arange(CUSTOMERS) % 2 == 0
    frame = pd.DataFrame(rng.random((CUSTOMERS, len(CUSTOMER_FEATURES))) * 10, columns=list(CUSTOMER_FEATURES))
    frame.insert(0, "customer_id", np.arange(CUSTOMERS))
    frame["recency_months"] = np.where(churned, 5.0, 1.0) if recency_tells else 1.0
    frame["is_premium"] = rng.random(CUSTOMERS).round() if recency_tells else (~churned).astype(float)
    frame[CHURN_LABEL] = churned
    return frame


def trained(recency_tells: bool) -> Trained:
    result = train_churn_model(training_snapshot(recency_tells), window_months=3, seed=1)
    assert isinstance(result, Trained)
    return result


def test_a_model_that_learns_the_signal_beats_its_baseline():
    model = trained(recency_tells=False)
    check = beats_baseline("customer_churn_model", model.metrics)
    assert model.metrics["baseline_roc_auc"] == 0.5
    assert check.passed, check.description


def test_a_model_that_cannot_beat_a_perfect_rule_fails_the_check():
    model = trained(recency_tells=True)
    assert model.metrics["baseline_roc_auc"] == 1.0
    check = beats_baseline("customer_churn_model", model.metrics)
    assert not check.passed
    assert re.match(
        r"Not better than the baseline on roc_auc, average_precision \(roc_auc 1\.000 vs 1\.000", check.description
    )
    assert "predictions were not refreshed" in check.description


def test_the_demand_model_must_have_a_lower_error_than_its_baseline():
    worse = {"mae": 12.0, "baseline_mae": 11.5}
    assert not beats_baseline("demand_forecast_model", worse).passed
    assert beats_baseline("demand_forecast_model", {"mae": 10.0, "baseline_mae": 11.5}).passed


PREVIOUS = (4, {"roc_auc": 0.90, "average_precision": 0.80, "precision": 0.9, "recall": 0.9})


@pytest.mark.parametrize(
    ("roc_auc", "average_precision", "passed"),
    [
        (0.90, 0.80, True),
        (0.90 * (1 - REGRESSION_TOLERANCE) + 1e-9, 0.80, True),  # just within the tolerance
        (0.90 * (1 - REGRESSION_TOLERANCE) - 1e-3, 0.80, False),  # just beyond it
        (0.95, 0.80 * (1 - REGRESSION_TOLERANCE) - 1e-3, False),  # one metric is enough
    ],
)
def test_no_regression_beyond_the_tolerance_against_the_previous_version(roc_auc, average_precision, passed):
    metrics = {"roc_auc": roc_auc, "average_precision": average_precision, "precision": 0.1, "recall": 0.1}
    check = no_regression("customer_churn_model", metrics, PREVIOUS)
    assert check.passed is passed, check.description
    assert check.metadata["previous_version"].value == "v4"
    if not passed:
        assert "Worse than v4 beyond the 5% tolerance" in check.description
        assert "accept_regression: true" in check.description
    # precision and recall at the 0.5 cut are shown, not checked: 0.1 against 0.9 does not fail it


def test_a_regression_can_be_accepted_by_run_config_and_says_so():
    metrics = {"roc_auc": 0.5, "average_precision": 0.5}
    check = no_regression("customer_churn_model", metrics, PREVIOUS, accepted_by_hand=True)
    assert check.passed and check.description.startswith("Accepted by run config (accept_regression)")


def test_the_demand_models_error_may_rise_by_the_tolerance_only():
    previous = (2, {"mae": 10.0})
    assert no_regression("demand_forecast_model", {"mae": 10.0 * (1 + REGRESSION_TOLERANCE) - 1e-9}, previous).passed
    assert not no_regression(
        "demand_forecast_model", {"mae": 10.0 * (1 + REGRESSION_TOLERANCE) + 1e-3}, previous
    ).passed


def test_the_first_version_has_nothing_to_regress_from():
    assert no_regression("demand_forecast_model", {"mae": 99.0}, None).passed


def test_the_comparison_table_puts_model_baseline_and_previous_side_by_side():
    metrics = {"mae": 10.12345, "baseline_mae": 11.98765}
    [row] = comparison_table("demand_forecast_model", metrics, (3, {"mae": 9.5})).value.records
    assert row.data == {
        "metric": "mae",
        "model": 10.1235,
        "baseline": 11.9877,
        "previous": "9.500",
        "better": "lower",
        "checked": "yes",
    }


def test_a_model_that_failed_its_checks_is_not_the_previous_version_and_does_not_score(tmp_path):
    warehouse = MlWarehouse(warehouse_dir=str(tmp_path))
    good = trained(recency_tells=False)
    assert save_model(warehouse, "customer_churn_model", good) == 1
    bad = trained(recency_tells=False)
    bad.failed_checks = "no_regression: Worse than v1 beyond the 5% tolerance on roc_auc."
    assert save_model(warehouse, "customer_churn_model", bad) == 2
    version, metrics = previous_accepted(warehouse, "customer_churn_model")
    assert version == 1 and metrics == json.loads(json.dumps(good.metrics))
    with pytest.raises(dg.Failure, match=r"customer_churn_model v2 .* failed its blocking checks") as failure:
        load_latest_model(warehouse, "customer_churn_model")
    assert bad.failed_checks in failure.value.description


def test_duplicated_keys_fail_and_are_named():
    frame = pd.DataFrame({"customer_id": [1, 2, 2, 3, 3, 3], "snapshot": ["scoring"] * 6})
    check = keys_unique(frame, ("customer_id", "snapshot"))
    assert not check.passed
    assert check.description == (
        "2 (customer_id, snapshot) appear more than once, in 5 rows, e.g. (2, 'scoring'), (3, 'scoring')."
    )
    assert keys_unique(frame.drop_duplicates(), ("customer_id", "snapshot")).passed


def test_missing_values_where_a_model_needs_them_fail_and_are_counted():
    training = pd.DataFrame({"orders": [1.0, None, None], CHURN_LABEL: [True, None, False]})
    scoring = pd.DataFrame({"orders": [1.0, 2.0], "recency_months": [None, 3.0]})
    check = values_present(
        [("training rows", training, ["orders", CHURN_LABEL]), ("scoring rows", scoring, ["orders"])]
    )
    assert not check.passed
    assert check.description == "Missing values: orders (training rows): 2 rows, churned (training rows): 1 rows."
    # recency_months may be null in scoring rows: not listed, not failed
    assert values_present([("scoring rows", scoring, ["orders"])]).passed


def test_one_row_per_customer_fails_when_one_is_missing():
    check = row_count("one_score_per_customer", 3_999, 4_000, "customer of customer_order_summary (4,000)")
    assert not check.passed
    assert check.description == "3,999 rows, expected one per customer of customer_order_summary (4,000)."
    assert row_count("one_score_per_customer", 4_000, 4_000, "customer").passed


def test_automation_requests_features_models_their_checks_and_predictions_in_one_tick():
    """The blocking checks would otherwise hold the predictions back to a later tick (a second run, and its
    start-up time): each model's checks are requested with the model, so one run carries the whole chain and
    the run itself stops the predictions if a check fails."""
    import ml_location.definitions as ml

    instance = dg.DagsterInstance.ephemeral()
    start = dg.evaluate_automation_conditions(defs=ml.defs, instance=instance)
    for mart in ("customer_order_summary", "customer_monthly_activity", "product_performance", "product_monthly_sales"):
        instance.report_runless_asset_event(dg.AssetMaterialization(mart))
    tick = dg.evaluate_automation_conditions(defs=ml.defs, instance=instance, cursor=start.cursor)
    requested = {result.key.to_user_string() for result in tick.results if result.true_subset.size}
    assert requested == {
        "customer_features",
        "product_features",
        "customer_churn_model",
        "customer_churn_model:beats_baseline",
        "customer_churn_model:no_regression",
        "demand_forecast_model",
        "demand_forecast_model:beats_baseline",
        "demand_forecast_model:no_regression",
        "customer_risk_scores",
        "product_demand_forecasts",
    }
