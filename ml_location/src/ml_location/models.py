"""Training and held-out evaluation of the two models, each beside a trivial baseline.

Histogram gradient boosting: fast on hundreds of thousands of rows on two cores, handles missing values
(a customer who never ordered has no recency), deterministic with a seed.
"""

from dataclasses import dataclass

import dagster as dg
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.metrics import mean_absolute_error, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

from ml_location.features import CHURN_LABEL, CUSTOMER_FEATURES, DEMAND_TARGET, PRODUCT_FEATURES

MIN_CUSTOMERS_PER_CLASS = 10
MIN_DEMAND_TRAINING_ROWS = 30
IMPORTANCE_SAMPLE = 20_000  # rows of the held-out set used for permutation importance


class CannotTrain(dg.Failure):
    """The data cannot support the model (too small, one class only): said in one message."""


@dataclass
class Trained:
    model: object
    features: tuple[str, ...]
    metrics: dict[str, float]
    importances: pd.DataFrame  # feature, importance (drop in the held-out score when shuffled)


def _importances(model, x: np.ndarray, y: np.ndarray, features, scoring: str, seed: int) -> pd.DataFrame:
    rows = np.random.default_rng(seed).permutation(len(x))[:IMPORTANCE_SAMPLE]
    result = permutation_importance(model, x[rows], y[rows], scoring=scoring, n_repeats=3, random_state=seed)
    return pd.DataFrame({"feature": features, "importance": result.importances_mean}).sort_values(
        "importance", ascending=False, ignore_index=True
    )


def train_churn_model(training: pd.DataFrame, seed: int) -> Trained:
    """`training`: the training snapshot of customer_features (features as of the cutoff + `churned`)."""
    training = training.sort_values("customer_id", ignore_index=True)  # same rows, same split, any read order
    y = training[CHURN_LABEL].astype(bool).to_numpy()
    churned, retained = int(y.sum()), int((~y).sum())
    if min(churned, retained) < MIN_CUSTOMERS_PER_CLASS:
        raise CannotTrain(
            description=(
                f"customer_churn_model cannot be trained: the training snapshot has {len(y)} customers with "
                f"order history before the cutoff, {churned} churned and {retained} retained; it needs at "
                f"least {MIN_CUSTOMERS_PER_CLASS} of each to learn and to be evaluated on held-out "
                "customers. Build the marts from more order history (more customers or months)."
            )
        )
    x = training[list(CUSTOMER_FEATURES)].to_numpy(dtype="float64")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=y, random_state=seed)
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
    model.fit(x_train, y_train)
    probability = model.predict_proba(x_test)[:, 1]
    predicted = probability >= 0.5
    # Baseline: "has not ordered for a quarter" -- months since the last order, as a score and a rule.
    recency = np.nan_to_num(x_test[:, CUSTOMER_FEATURES.index("recency_months")], nan=99.0)
    baseline = recency >= 3
    metrics = {
        "roc_auc": roc_auc_score(y_test, probability),
        "precision": precision_score(y_test, predicted, zero_division=0),
        "recall": recall_score(y_test, predicted, zero_division=0),
        "baseline_roc_auc": roc_auc_score(y_test, recency),
        "baseline_precision": precision_score(y_test, baseline, zero_division=0),
        "baseline_recall": recall_score(y_test, baseline, zero_division=0),
        "churn_rate": float(y.mean()),
        "train_customers": float(len(y_train)),
        "test_customers": float(len(y_test)),
    }
    importances = _importances(model, x_test, y_test, CUSTOMER_FEATURES, "roc_auc", seed)
    return Trained(model, CUSTOMER_FEATURES, {k: float(v) for k, v in metrics.items()}, importances)


# Demand is heavy-tailed (a few products sell thousands of units a month), so the model works in logs and
# predicts next month relative to the product's current level, its 3-month mean: it learns the season and
# the trend, not each product's size. Used for training and forecasting alike.
LOG_SCALED = ("units_lag1", "units_lag2", "units_lag3", "units_mean_3m", "units_mean_6m", "units_lag12", "orders_lag1")
LEVEL = "units_mean_3m"


def demand_inputs(frame: pd.DataFrame) -> np.ndarray:
    x = frame[list(PRODUCT_FEATURES)].to_numpy(dtype="float64")
    logged = [PRODUCT_FEATURES.index(name) for name in LOG_SCALED]
    x[:, logged] = np.log1p(x[:, logged])
    return x


def predict_demand(model, frame: pd.DataFrame) -> np.ndarray:
    """Next month's units for each row of `frame` (product_features rows), never negative."""
    return np.clip(np.expm1(model.predict(demand_inputs(frame)) + np.log1p(frame[LEVEL].to_numpy())), 0, None)


def train_demand_model(panel: pd.DataFrame, seed: int) -> Trained:
    """`panel`: product_features. Trained on every month but the last one with a known next month,
    evaluated on that one (next month's units per product), beside the naive forecast 'same as now'."""
    labeled = panel[panel[DEMAND_TARGET].notna()].sort_values(["month", "product_id"], ignore_index=True)
    months = np.sort(labeled["month"].unique())
    held_out = labeled["month"] == months[-1] if len(months) else pd.Series(dtype=bool)
    train, test = labeled[~held_out], labeled[held_out]
    if len(months) < 2 or len(train) < MIN_DEMAND_TRAINING_ROWS:
        raise CannotTrain(
            description=(
                f"demand_forecast_model cannot be trained: product_features has {len(months)} month(s) with a "
                f"known next month and {len(train)} training rows once the last month is held out for "
                f"evaluation; it needs at least 2 months and {MIN_DEMAND_TRAINING_ROWS} rows. Build the "
                "marts from a longer order history."
            )
        )
    relative_target = np.log1p(train[DEMAND_TARGET].to_numpy()) - np.log1p(train[LEVEL].to_numpy())
    model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=seed)
    model.fit(demand_inputs(train), relative_target)
    actual = test[DEMAND_TARGET].to_numpy()
    mae = mean_absolute_error(actual, predict_demand(model, test))
    naive_mae = mean_absolute_error(actual, test["units_lag1"].to_numpy())
    metrics = {
        "mae": mae,
        "baseline_mae": naive_mae,
        "mae_vs_baseline": mae / max(naive_mae, 1e-9),
        "train_rows": float(len(train)),
        "test_products": float(len(test)),
    }
    test_relative = np.log1p(actual) - np.log1p(test[LEVEL].to_numpy())
    importances = _importances(
        model, demand_inputs(test), test_relative, PRODUCT_FEATURES, "neg_mean_absolute_error", seed
    )
    return Trained(model, PRODUCT_FEATURES, {k: float(v) for k, v in metrics.items()}, importances)
