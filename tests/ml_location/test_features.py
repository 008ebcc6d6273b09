"""The feature and model code on hand-sized data: tiny and skewed inputs, no label leakage, clear
refusals when a model cannot be trained."""

import duckdb
import pandas as pd
import pytest

from ml_location.features import (
    CUSTOMER_FEATURES,
    PRODUCT_FEATURES,
    NoActivity,
    customer_feature_snapshots,
    product_feature_panel,
    score_1_to_5,
)
from ml_location.models import CannotTrain, train_churn_model, train_demand_model
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY

CUSTOMERS = pd.DataFrame({"customer_id": [1, 2, 3, 4], "tier": ["basic", "premium", "basic", "basic"]})


def monthly(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "orders", "revenue"])
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def snapshots(customers: pd.DataFrame, activity: pd.DataFrame) -> pd.DataFrame:
    """customer_feature_snapshots on frames, exposed by the public models' names as in the warehouse."""
    con = duckdb.connect()
    con.register(CUSTOMER_ORDER_SUMMARY.name, customers)
    con.register(CUSTOMER_MONTHLY_ACTIVITY.name, activity)
    return customer_feature_snapshots(con)


ACTIVITY = monthly(
    [
        (1, "2024-01-01", 2, 20.0),
        (1, "2024-05-01", 1, 5.0),  # ordered in the label window: retained
        (2, "2024-01-01", 1, 50.0),
        (2, "2024-02-01", 3, 90.0),  # nothing from the cutoff (March) on: churned
        (3, "2024-04-01", 1, 10.0),  # first order after the cutoff: not in training
    ]
)


def test_snapshots_split_training_and_scoring_at_the_cutoff():
    features = snapshots(CUSTOMERS, ACTIVITY)
    training = features[features["snapshot"] == "training"].set_index("customer_id")
    scoring = features[features["snapshot"] == "scoring"].set_index("customer_id")
    # latest month May -> label window March..May, cutoff March, scoring as of June
    assert set(training["as_of"]) == {pd.Timestamp("2024-03-01")}
    assert set(scoring["as_of"]) == {pd.Timestamp("2024-06-01")}
    assert list(training.index) == [1, 2]  # customers with orders before the cutoff
    assert training.loc[1, "churned"] == False  # noqa: E712 (a pandas boolean)
    assert training.loc[2, "churned"] == True  # noqa: E712
    assert list(scoring.index) == [1, 2, 3, 4]  # every customer is scored, also one who never ordered
    assert training.loc[2, "recency_months"] == 1 and training.loc[2, "orders"] == 4
    assert pd.isna(scoring.loc[4, "recency_months"]) and scoring.loc[4, "orders"] == 0
    assert set(CUSTOMER_FEATURES) <= set(features.columns)


def test_training_features_do_not_see_after_the_cutoff():
    later_orders = monthly([(2, "2024-04-01", 9, 900.0), (1, "2024-05-01", 5, 500.0)])
    before = snapshots(CUSTOMERS, ACTIVITY)
    after = snapshots(CUSTOMERS, pd.concat([ACTIVITY, later_orders]))
    columns = ["customer_id", *CUSTOMER_FEATURES]
    training = lambda f: f.loc[f["snapshot"] == "training", columns].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(training(before), training(after))
    assert not after.loc[(after["snapshot"] == "training") & (after["customer_id"] == 2), "churned"].item()


def test_no_order_history_says_so():
    with pytest.raises(NoActivity, match="customer_monthly_activity has no rows"):
        snapshots(CUSTOMERS, ACTIVITY.iloc[:0])


@pytest.mark.parametrize(
    "values", [[5.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1000.0], [None, 2.0, 3.0]], ids=["one", "tied", "skewed", "nan"]
)
def test_rfm_scores_work_on_tiny_and_skewed_data(values):
    scores = score_1_to_5(pd.Series(values, dtype="float64"))
    assert scores.between(1, 5).all() and len(scores) == len(values)


def test_rfm_ranks_lower_recency_higher():
    assert list(score_1_to_5(pd.Series([1.0, 12.0]), higher_is_better=False)) == [5, 3]


def test_a_model_that_cannot_be_trained_says_so():
    training = snapshots(CUSTOMERS, ACTIVITY)
    with pytest.raises(CannotTrain, match=r"training snapshot has 2 customers .* 1 churned and 1 retained"):
        train_churn_model(training[training["snapshot"] == "training"], seed=1)


def test_demand_features_on_a_tiny_catalogue():
    products = pd.DataFrame({"product_id": [10, 11], "retail_price": [9.0, 20.0]})
    sales = pd.DataFrame(
        {
            "product_id": [10, 10, 10],
            "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"]),
            "orders": [1, 2, 1],
            "units_sold": [3, 4, 2],
        }
    )
    panel = product_feature_panel(products, sales)
    latest = panel[panel["month"] == panel["month"].max()].set_index("product_id")
    assert list(latest.index) == [10, 11]  # the unsold product still gets a row to forecast
    assert latest.loc[10, "units_lag1"] == 2 and latest.loc[10, "units_lag2"] == 0  # March: no sales
    assert latest.loc[10, "units_mean_3m"] == pytest.approx((4 + 0 + 2) / 3)  # Feb, Mar, Apr
    assert latest.loc[11, "units_lag1"] == 0 and latest.loc[11, "months_on_sale"] == 0
    history = panel[panel["product_id"] == 10].set_index("month")
    assert history.loc["2024-01-01", "next_month_units"] == 4  # the target is the following month
    assert pd.isna(latest.loc[10, "next_month_units"])
    assert set(PRODUCT_FEATURES) <= set(panel.columns)
    with pytest.raises(CannotTrain, match="demand_forecast_model cannot be trained"):
        train_demand_model(panel, seed=1)
