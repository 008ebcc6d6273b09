"""Training and held-out evaluation of the two models, each beside a trivial baseline.

Churn: a logistic regression on log-scaled features. Recency alone ranks churners well on this kind of
data; a few hundred customers are too few for boosted trees to add to it without fitting noise, while a
linear model on log scales adds the rest of the history (rate, tenure, tier) and beats the rule from
small shops up (README, "The ML location", gives the figures). Demand: histogram gradient boosting, fast
on hundreds of thousands of rows on two cores. Both deterministic. Each training logs its steps (`log`:
one line per step, with its size and time), never per row.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    mean_absolute_error,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ml_location.compute_threads import limited_threads
from ml_location.demand_sample import LEVEL, WEIGHT, DemandRows, rows_of_panel
from ml_location.features import CHURN_LABEL, CUSTOMER_FEATURES, DEMAND_TARGET, PRODUCT_FEATURES

MIN_CUSTOMERS_PER_CLASS = 10
MIN_DEMAND_TRAINING_ROWS = 30
IMPORTANCE_SAMPLE = 20_000  # rows of the held-out set used for permutation importance


def churn_classifier() -> Pipeline:
    """Missing values (a scoring customer without an order has no recency, tenure or order value) take the
    training median; every feature is a count, an amount or a ratio above -1, so log1p puts the long tails on
    one scale before standardising."""
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("log", FunctionTransformer(np.log1p)),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1000)),
        ]
    )


Log = Callable[[str], None]


def no_log(_: str) -> None:
    pass


class Steps:
    """One progress line as each step of a training starts ("<model>: step 2/4, fitting ... (0.4 s so far)"),
    and one when it is done."""

    def __init__(self, model: str, total: int, log: Log):
        self.model, self.total, self.log, self.started_steps = model, total, log, 0
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def step(self, what: str) -> None:
        self.started_steps += 1
        self.log(f"{self.model}: step {self.started_steps}/{self.total}, {what} ({self.elapsed():.1f} s so far)")

    def finish(self) -> None:
        self.log(f"{self.model}: trained in {self.elapsed():.1f} s")


@dataclass
class NotTrained:
    """The data cannot support the model (too small, one class only): why, in one message that says what
    to change, and the figures behind it."""

    reason: str
    figures: dict[str, int | float] = field(default_factory=dict)


@dataclass
class Trained:
    model: object
    features: tuple[str, ...]
    metrics: dict[str, float]
    importances: pd.DataFrame  # feature, importance (drop in the held-out score when shuffled)
    fitted_on: pd.DataFrame  # exactly the rows the model was fit on: no held-out, no scoring rows
    # The blocking checks it failed (model_quality.py), in one line; stored with it, so nothing scores with it.
    failed_checks: str | None = None

    @property
    def data_version(self) -> str:
        """A fingerprint of exactly the rows the model was fit on (`fitted_on`)."""
        hashes = pd.util.hash_pandas_object(self.fitted_on, index=False).to_numpy()
        return hashlib.sha256(hashes.tobytes()).hexdigest()[:16]


def _importances(model, x: np.ndarray, y: np.ndarray, features, scoring: str, seed: int) -> pd.DataFrame:
    rows = np.random.default_rng(seed).permutation(len(x))[:IMPORTANCE_SAMPLE]
    result = permutation_importance(model, x[rows], y[rows], scoring=scoring, n_repeats=3, random_state=seed)
    return pd.DataFrame({"feature": features, "importance": result.importances_mean}).sort_values(
        "importance", ascending=False, ignore_index=True
    )


def churn_rule(recency_months: np.ndarray, window_months: int) -> np.ndarray:
    """The baseline: the churn definition applied to the past, "no order in the last `window_months` months
    before the as-of month". recency_months is 1 when the last order was in the month before, so a customer
    has gone recency - 1 whole months without an order. (Recency itself is the baseline's score.)"""
    return recency_months - 1 >= window_months


def churn_not_trained(training: pd.DataFrame, churned: int, retained: int, window_months: int) -> NotTrained:
    """Why the churn model cannot learn from this training snapshot, and what to change."""
    cutoff = f" (as of {training['as_of'].min():%Y-%m-%d})" if len(training) else ""
    definition = f"no order in the {window_months} month(s) from the cutoff to the end of the data"
    setting = f"resource `churn`, months_without_order, now {window_months}"
    if not len(training):
        advice = (
            f"No customer ordered before the cutoff: the order history is not longer than the churn window. Set "
            f"a shorter churn window ({setting}), or build the marts from a longer order history."
        )
    elif churned < MIN_CUSTOMERS_PER_CLASS <= retained:
        advice = (
            f"Too few customers went {window_months} month(s) without an order: a shorter churn window "
            f"({setting}) counts more customers as churned; or build the marts from more customers."
        )
    elif retained < MIN_CUSTOMERS_PER_CLASS <= churned:
        advice = (
            f"Too few customers ordered in the last {window_months} month(s): a longer churn window ({setting}) "
            "counts fewer customers as churned; or build the marts from more customers."
        )
    else:
        advice = "Build the marts from more customers' order history."
    return NotTrained(
        reason=(
            f"customer_churn_model was not trained: the training snapshot{cutoff} has {len(training)} customers "
            f"with orders before the cutoff, {churned} churned ({definition}) and {retained} retained; it needs "
            f"at least {MIN_CUSTOMERS_PER_CLASS} of each to learn and to be evaluated on held-out customers. " + advice
        ),
        figures={
            "training_customers": len(training),
            "churned": churned,
            "retained": retained,
            "min_customers_per_class": MIN_CUSTOMERS_PER_CLASS,
            "churn_window_months": window_months,
        },
    )


def held_out_customers(customer_ids: np.ndarray, churned: np.ndarray, seed: int, share: float = 0.25) -> np.ndarray:
    """Which customers are held out: in each class, the `share` of customers whose hash of (seed, id) is lowest.

    A customer's place depends on its id, not on the other rows: when a daily batch adds orders, the held-out set
    stays the same customers but for the few whose label changed (a random stratified split would reshuffle every
    customer once one label changed, and `no_regression` would compare two different held-out sets)."""
    keys = np.array(
        [int.from_bytes(hashlib.blake2b(f"{seed}:{c}".encode(), digest_size=8).digest(), "big") for c in customer_ids],
        dtype=np.uint64,
    )
    held_out = np.zeros(len(customer_ids), dtype=bool)
    for label in (True, False):
        members = np.flatnonzero(churned == label)
        held_out[members[np.argsort(keys[members], kind="stable")][: max(1, round(len(members) * share))]] = True
    return held_out


@limited_threads
def train_churn_model(training: pd.DataFrame, window_months: int, seed: int, log: Log = no_log) -> Trained | NotTrained:
    """`training`: the training snapshot of customer_features (features as of the cutoff + `churned`),
    labelled with a churn window of `window_months`."""
    training = training.sort_values("customer_id", ignore_index=True)  # same rows, same split, any read order
    y = training[CHURN_LABEL].astype(bool).to_numpy()
    churned, retained = int(y.sum()), int((~y).sum())
    if min(churned, retained) < MIN_CUSTOMERS_PER_CLASS:
        return churn_not_trained(training, churned, retained, window_months)
    steps = Steps("customer_churn_model", 4, log)
    steps.step(
        f"splitting {len(y):,} customers ({churned:,} churned, {retained:,} retained; {window_months}-month "
        "window) into 75% to fit and 25% held out"
    )
    x = training[list(CUSTOMER_FEATURES)].to_numpy(dtype="float64")
    test = held_out_customers(training["customer_id"].to_numpy(), y, seed)
    fit_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    x_train, x_test, y_train, y_test = x[fit_rows], x[test_rows], y[fit_rows], y[test_rows]
    steps.step(
        f"fitting a logistic regression on {len(y_train):,} customers and {len(CUSTOMER_FEATURES)} log-scaled features"
    )
    model = churn_classifier()
    model.fit(x_train, y_train)
    steps.step(f"evaluating on {len(y_test):,} held-out customers beside the rule 'no order in {window_months} months'")
    probability = model.predict_proba(x_test)[:, 1]
    predicted = probability >= 0.5
    recency = np.nan_to_num(x_test[:, CUSTOMER_FEATURES.index("recency_months")], nan=1e9)
    baseline = churn_rule(recency, window_months)
    metrics = {
        "roc_auc": roc_auc_score(y_test, probability),
        "average_precision": average_precision_score(y_test, probability),
        "precision": precision_score(y_test, predicted, zero_division=0),
        "recall": recall_score(y_test, predicted, zero_division=0),
        "baseline_roc_auc": roc_auc_score(y_test, recency),
        "baseline_average_precision": average_precision_score(y_test, recency),
        "baseline_precision": precision_score(y_test, baseline, zero_division=0),
        "baseline_recall": recall_score(y_test, baseline, zero_division=0),
        "churn_rate": float(y.mean()),
        "churn_window_months": float(window_months),
        "train_customers": float(len(y_train)),
        "test_customers": float(len(y_test)),
    }
    steps.step(
        f"permutation importance of {len(CUSTOMER_FEATURES)} features on "
        f"{min(len(y_test), IMPORTANCE_SAMPLE):,} held-out rows (ROC AUC {metrics['roc_auc']:.3f}, "
        f"baseline {metrics['baseline_roc_auc']:.3f})"
    )
    importances = _importances(model, x_test, y_test, CUSTOMER_FEATURES, "roc_auc", seed)
    steps.finish()
    return Trained(
        model, CUSTOMER_FEATURES, {k: float(v) for k, v in metrics.items()}, importances, training.iloc[fit_rows]
    )


# Demand is heavy-tailed (a few products sell thousands of units a month), so the model works in logs and
# predicts next month relative to the product's current level, its 3-month mean: it learns the season and
# the trend, not each product's size. Used for training and forecasting alike.
LOG_SCALED = ("units_lag1", "units_lag2", "units_lag3", "units_mean_3m", "units_mean_6m", "units_lag12", "orders_lag1")


def demand_inputs(frame: pd.DataFrame) -> np.ndarray:
    x = frame[list(PRODUCT_FEATURES)].to_numpy(dtype="float64")
    logged = [PRODUCT_FEATURES.index(name) for name in LOG_SCALED]
    x[:, logged] = np.log1p(x[:, logged])
    return x


def predict_demand(model, frame: pd.DataFrame) -> np.ndarray:
    """Next month's units for each row of `frame` (product_features rows), never negative."""
    return np.clip(np.expm1(model.predict(demand_inputs(frame)) + np.log1p(frame[LEVEL].to_numpy())), 0, None)


@limited_threads
def train_demand_model(rows: DemandRows | pd.DataFrame, seed: int, log: Log = no_log) -> Trained | NotTrained:
    """`rows`: product_features' rows as demand_sample reads them (or the whole panel, as a DataFrame). Fit on
    a volume-stratified, weighted sample of every month but the last one with a known next month, evaluated
    on every product of that one (next month's units), beside the naive forecast 'same as now'."""
    if isinstance(rows, pd.DataFrame):
        rows = rows_of_panel(rows)
    train, test = rows.train, rows.test
    if rows.months < 2 or rows.available < MIN_DEMAND_TRAINING_ROWS:
        return NotTrained(
            reason=(
                f"demand_forecast_model was not trained: product_features has {rows.months} month(s) with a "
                f"known next month and {rows.available} training rows once the last month is held out for "
                f"evaluation; it needs at least 2 months and {MIN_DEMAND_TRAINING_ROWS} rows. Build the "
                "marts from a longer order history."
            ),
            figures={
                "months_with_known_next_month": rows.months,
                "training_rows": rows.available,
                "min_training_rows": MIN_DEMAND_TRAINING_ROWS,
            },
        )
    steps = Steps("demand_forecast_model", 3, log)
    sampled = f", a volume-stratified sample of {rows.available:,}" if len(train) < rows.available else ""
    steps.step(
        f"fitting up to 300 trees on {len(train):,} product-months ({rows.months - 1} months{sampled}) and "
        f"{len(PRODUCT_FEATURES)} features"
    )
    relative_target = np.log1p(train[DEMAND_TARGET].to_numpy()) - np.log1p(train[LEVEL].to_numpy())
    model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=seed)
    model.fit(demand_inputs(train), relative_target, sample_weight=train[WEIGHT].to_numpy())
    held_out_month = pd.Timestamp(test["month"].iloc[0])
    steps.step(
        f"evaluating on the {len(test):,} products of the held-out month {held_out_month:%Y-%m} beside "
        "'same as this month'"
    )
    actual = test[DEMAND_TARGET].to_numpy()
    mae = mean_absolute_error(actual, predict_demand(model, test))
    naive_mae = mean_absolute_error(actual, test["units_lag1"].to_numpy())
    metrics = {
        "mae": mae,
        "baseline_mae": naive_mae,
        "mae_vs_baseline": mae / max(naive_mae, 1e-9),
        "train_rows": float(len(train)),
        "train_rows_available": float(rows.available),
        "test_products": float(len(test)),
    }
    steps.step(
        f"permutation importance of {len(PRODUCT_FEATURES)} features on {min(len(test), IMPORTANCE_SAMPLE):,} "
        f"held-out rows (MAE {mae:.2f}, baseline {naive_mae:.2f})"
    )
    test_relative = np.log1p(actual) - np.log1p(test[LEVEL].to_numpy())
    importances = _importances(
        model, demand_inputs(test), test_relative, PRODUCT_FEATURES, "neg_mean_absolute_error", seed
    )
    steps.finish()
    return Trained(model, PRODUCT_FEATURES, {k: float(v) for k, v in metrics.items()}, importances, train)
