"""The feature and model code on hand-sized data: tiny and skewed inputs, no label leakage, clear
refusals when a model cannot be trained."""

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml_location.features import (
    CHURN_LABEL,
    CUSTOMER_FEATURES,
    PRODUCT_FEATURES,
    NoActivity,
    customer_feature_snapshots,
    product_feature_panel,
)
from ml_location.models import NotTrained, Trained, churn_rule, train_churn_model, train_demand_model
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY

CUSTOMERS = pd.DataFrame({"customer_id": [1, 2, 3, 4], "tier": ["basic", "premium", "basic", "basic"]})


def monthly(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "orders", "revenue"])
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def snapshots(customers: pd.DataFrame, activity: pd.DataFrame, window: int = 3) -> pd.DataFrame:
    """customer_feature_snapshots on frames, exposed by the public models' names as in the warehouse."""
    con = duckdb.connect()
    con.register(CUSTOMER_ORDER_SUMMARY.name, customers)
    con.register(CUSTOMER_MONTHLY_ACTIVITY.name, activity)
    return customer_feature_snapshots(con, window).to_pandas()


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
    assert sorted(training.index) == [1, 2]  # customers with orders before the cutoff
    assert training.loc[1, "churned"] == False  # noqa: E712 (a pandas boolean)
    assert training.loc[2, "churned"] == True  # noqa: E712
    assert sorted(scoring.index) == [1, 2, 3, 4]  # every customer is scored, also one who never ordered
    assert training.loc[2, "recency_months"] == 1 and training.loc[2, "orders"] == 4
    assert pd.isna(scoring.loc[4, "recency_months"]) and scoring.loc[4, "orders"] == 0
    assert set(CUSTOMER_FEATURES) <= set(features.columns)


def test_training_features_do_not_see_after_the_cutoff():
    later_orders = monthly([(2, "2024-04-01", 9, 900.0), (1, "2024-05-01", 5, 500.0)])
    before = snapshots(CUSTOMERS, ACTIVITY)
    after = snapshots(CUSTOMERS, pd.concat([ACTIVITY, later_orders]))
    columns = ["customer_id", *CUSTOMER_FEATURES]
    training = lambda f: f.loc[f["snapshot"] == "training", columns].sort_values("customer_id", ignore_index=True)  # noqa: E731
    pd.testing.assert_frame_equal(training(before), training(after))
    assert not after.loc[(after["snapshot"] == "training") & (after["customer_id"] == 2), "churned"].item()


def test_no_order_history_says_so():
    with pytest.raises(NoActivity, match="customer_monthly_activity has no rows"):
        snapshots(CUSTOMERS, ACTIVITY.iloc[:0])


def expected_rfm(features: pd.DataFrame) -> pd.Series:
    """The RFM score by its definition, independently of the SQL: per snapshot, each of recency (lower is
    better), orders and revenue (of customers with orders) scored ceil(5 * pandas' average percentile rank),
    1 when missing."""

    def score(values: pd.Series) -> pd.Series:
        ranks = values.groupby(features["snapshot"]).rank(pct=True, method="average")
        return np.ceil(ranks * 5).clip(1, 5).fillna(1).astype("int64")

    with_orders = features["orders"].where(features["orders"] > 0)
    return (
        score(-features["recency_months"]) + score(with_orders) + score(features["revenue"].where(with_orders.notna()))
    )


def test_rfm_scores_are_average_percentile_ranks_per_snapshot():
    """Many ties (a few order counts and revenues), a skewed revenue, customers without orders."""
    rng = np.random.default_rng(7)
    ids = range(1, 301)
    customers = pd.DataFrame({"customer_id": ids, "tier": ["basic"] * 300})
    months = pd.date_range("2023-01-01", "2024-06-01", freq="MS")
    rows = [
        (c, month, int(rng.integers(1, 4)), float(rng.choice([10.0, 25.5, 99.99, 10_000.0], p=[0.4, 0.3, 0.29, 0.01])))
        for c in ids
        if c % 10  # every tenth customer never orders
        for month in rng.choice(months, size=int(rng.integers(1, 6)), replace=False)
    ]
    features = snapshots(customers, monthly(rows))
    assert features["rfm_score"].tolist() == expected_rfm(features).tolist()
    assert features["rfm_score"].nunique() > 5  # the case is not degenerate


@pytest.mark.parametrize(
    ("activity", "expected"),
    [
        ([(1, "2024-01-01", 1, 5.0)], {1: 15}),  # one customer: the top of every rank
        ([(c, "2024-01-01", 1, 5.0) for c in (1, 2, 3)], {1: 12, 2: 12, 3: 12}),  # all tied: rank 2 of 3 each
        # skewed revenue and lower recency better: 1 month ago scores 5, 12 months ago 3 (ranks 1 and 1.5 of 2)
        ([(1, "2024-12-01", 1, 5.0), (2, "2024-01-01", 1, 1_000_000.0)], {1: 5 + 4 + 3, 2: 3 + 4 + 5}),
    ],
    ids=["one", "tied", "skewed-and-recency"],
)
def test_rfm_scores_on_tiny_tied_and_skewed_data(activity, expected):
    customers = pd.DataFrame({"customer_id": sorted(expected), "tier": ["basic"] * len(expected)})
    features = snapshots(customers, monthly(activity), window=1)
    scoring = features[features["snapshot"] == "scoring"].set_index("customer_id")
    assert scoring["rfm_score"].to_dict() == expected


def test_a_model_that_cannot_be_trained_says_so():
    training = snapshots(CUSTOMERS, ACTIVITY)
    result = train_churn_model(training[training["snapshot"] == "training"], window_months=3, seed=1)
    assert isinstance(result, NotTrained)
    assert re.search(r"as of 2024-03-01\) has 2 customers .* 1 churned .* and 1 retained", result.reason)
    assert result.figures == {
        "training_customers": 2,
        "churned": 1,
        "retained": 1,
        "min_customers_per_class": 10,
        "churn_window_months": 3,
    }


def test_no_churn_at_the_window_says_which_setting_to_change():
    """Twelve customers who order every month: nobody goes three months without an order."""
    customers = pd.DataFrame({"customer_id": range(1, 13), "tier": ["basic"] * 12})
    months = pd.date_range("2024-01-01", "2024-08-01", freq="MS")
    activity = monthly([(c, m, 1, 10.0) for c in range(1, 13) for m in months])
    features = snapshots(customers, activity)
    result = train_churn_model(features[features["snapshot"] == "training"], window_months=3, seed=1)
    assert isinstance(result, NotTrained)
    assert "12 customers with orders before the cutoff, 0 churned" in result.reason
    assert "a shorter churn window (resource `churn`, months_without_order, now 3)" in result.reason


# Latest month June 2024. Per churn window N (cutoff = the first of the last N months), the expected label of
# each customer with orders before the cutoff; customers absent from a window have no order before it.
WINDOW_HISTORIES = monthly(
    [
        (1, "2024-01-01", 1, 10.0),
        (1, "2024-06-01", 1, 10.0),  # orders in June: never churned
        (2, "2024-02-01", 1, 10.0),
        (2, "2024-04-01", 1, 10.0),  # last order April: May and June without
        (3, "2024-01-01", 1, 10.0),  # last order January: February to June without
        (4, "2024-05-01", 1, 10.0),  # first order May
    ]
)
EXPECTED_LABELS = {
    1: {1: False, 2: True, 3: True, 4: True},  # cutoff June
    2: {1: False, 2: True, 3: True},  # cutoff May: customer 4 has no order before it
    3: {1: False, 2: False, 3: True},  # cutoff April
    5: {1: False, 3: True},  # cutoff February: customer 2's first order is in it
    6: {},  # cutoff January: nobody ordered before it
}


@pytest.mark.parametrize("window", EXPECTED_LABELS)
def test_the_churn_window_sets_the_labels(window):
    features = snapshots(CUSTOMERS, WINDOW_HISTORIES, window=window)
    training = features[features["snapshot"] == "training"].set_index("customer_id")
    assert {c: bool(churned) for c, churned in training[CHURN_LABEL].items()} == EXPECTED_LABELS[window]
    assert (features["churn_window_months"] == window).all()


@pytest.mark.parametrize("window", [1, 2, 3, 4])
def test_the_baseline_rule_is_the_churn_definition_applied_to_the_past(window):
    """The rule says "no order in the `window` months before the as-of month": checked against the order
    months themselves, as of July (the scoring snapshot), for every customer of WINDOW_HISTORIES."""
    features = snapshots(CUSTOMERS, WINDOW_HISTORIES, window=window)
    scoring = features[(features["snapshot"] == "scoring") & features["orders"].gt(0)].set_index("customer_id")
    first_month_of_window = pd.Timestamp("2024-07-01") - pd.DateOffset(months=window)
    ordered = set(WINDOW_HISTORIES.loc[WINDOW_HISTORIES["month"] >= first_month_of_window, "customer_id"])
    rule = churn_rule(scoring["recency_months"].to_numpy(), window)
    assert dict(zip(scoring.index, rule.tolist(), strict=True)) == {c: c not in ordered for c in scoring.index}


def test_the_data_version_fingerprints_exactly_the_rows_the_model_was_fit_on():
    rng = np.random.default_rng(0)
    training = pd.DataFrame(rng.random((80, len(CUSTOMER_FEATURES))), columns=list(CUSTOMER_FEATURES))
    training.insert(0, "customer_id", range(80))
    training[CHURN_LABEL] = training["orders"] > 0.5
    trained = train_churn_model(training, window_months=3, seed=1)
    assert isinstance(trained, Trained) and len(trained.fitted_on) == 60  # 25% held out

    def version_after_changing(customer_id) -> str:
        changed = training.copy()
        changed.loc[changed["customer_id"] == customer_id, "revenue"] += 1.0
        return train_churn_model(changed, window_months=3, seed=1).data_version

    held_out = sorted(set(training["customer_id"]) - set(trained.fitted_on["customer_id"]))[0]
    fitted = trained.fitted_on["customer_id"].iloc[0]
    assert version_after_changing(held_out) == trained.data_version
    assert version_after_changing(fitted) != trained.data_version


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
    panel = product_feature_panel(products, sales).to_pandas()
    latest = panel[panel["month"] == panel["month"].max()].set_index("product_id")
    assert list(latest.index) == [10, 11]  # the unsold product still gets a row to forecast
    assert latest.loc[10, "units_lag1"] == 2 and latest.loc[10, "units_lag2"] == 0  # March: no sales
    assert latest.loc[10, "units_mean_3m"] == pytest.approx((4 + 0 + 2) / 3)  # Feb, Mar, Apr
    assert latest.loc[11, "units_lag1"] == 0 and latest.loc[11, "months_on_sale"] == 0
    history = panel[panel["product_id"] == 10].set_index("month")
    assert history.loc["2024-01-01", "next_month_units"] == 4  # the target is the following month
    assert pd.isna(latest.loc[10, "next_month_units"])
    assert set(PRODUCT_FEATURES) <= set(panel.columns)
    result = train_demand_model(panel, seed=1)
    assert isinstance(result, NotTrained) and result.reason.startswith("demand_forecast_model was not trained")
