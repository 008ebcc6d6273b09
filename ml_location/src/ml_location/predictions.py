"""Scoring with the trained models: vectorised over whole tables, no per-row Python."""

import numpy as np
import pandas as pd

from ml_location.compute_threads import limited_threads
from ml_location.model_store import StoredModel
from ml_location.models import predict_demand

RISK_TIERS = ((0.6, "high"), (0.3, "medium"))  # churn probability at or above -> tier; below all: low
SAFETY_STOCK = 1.25  # stock recommended = forecast units * this, rounded up
CHANGE_THRESHOLD = 0.2  # a forecast this much above/below last month changes the stock recommendation


@limited_threads
def score_customers(scoring: pd.DataFrame, stored: StoredModel) -> pd.DataFrame:
    """`scoring`: the scoring snapshot of customer_features (one row per customer)."""
    probability = stored.model.predict_proba(scoring[list(stored.features)].to_numpy(dtype="float64"))[:, 1]
    tier = np.select([probability >= cut for cut, _ in RISK_TIERS], [name for _, name in RISK_TIERS], "low")
    premium = scoring["is_premium"].to_numpy() == 1
    action = np.select(
        [(tier == "high") & premium, tier == "high", tier == "medium"],
        ["personal call from account manager", "win-back offer", "engagement email"],
        "none",
    )
    return pd.DataFrame(
        {
            "customer_id": scoring["customer_id"].to_numpy(),
            "churn_probability": probability,
            "risk_tier": tier,
            "recommended_action": action,
            "as_of": scoring["as_of"].to_numpy(),
            "model_version": stored.version,
        }
    )


@limited_threads
def forecast_products(latest: pd.DataFrame, stored: StoredModel) -> pd.DataFrame:
    """`latest`: product_features rows of the latest month (one per product)."""
    forecast = predict_demand(stored.model, latest)
    last = latest["units_lag1"].to_numpy()
    change = np.divide(forecast - last, last, out=np.full(len(last), np.nan), where=last > 0)
    recommendation = np.select(
        [(last == 0) & (forecast < 0.5), last == 0, change >= CHANGE_THRESHOLD, change <= -CHANGE_THRESHOLD],
        ["no stock needed", "stock for new demand", "increase stock", "reduce stock"],
        "keep stock level",
    )
    return pd.DataFrame(
        {
            "product_id": latest["product_id"].to_numpy(),
            "forecast_month": (latest["month"] + pd.DateOffset(months=1)).to_numpy(),
            "forecast_units": forecast,
            "last_month_units": last,
            "change_vs_last_month": change,
            "inventory_recommendation": recommendation,
            "recommended_stock": np.ceil(forecast * SAFETY_STOCK).astype("int64"),
            "model_version": stored.version,
        }
    )
