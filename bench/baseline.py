"""`baseline`: the original design (Dagster's project_multi_repo example), ported faithfully, written as a
competent pandas user would (vectorised, no per-row apply; the reference date from the data instead of
a hard-coded one). pandas reads the raw files and computes the two marts; the feature step gets them as
pickles on disk, as the original's FilesystemIOManager handed them over; each step is its own process,
as each asset was its own step. No validation or quarantine: the original had none.

    python -m bench.baseline marts|features <raw dir> <pickle dir>
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from bench.landing import orders_files

# Dates as datetime64, not Python date objects (pyarrow's default for Parquet dates), which make every
# min/max over them ten times slower: the first thing a competent pandas user would change.
DATES_AS_DATETIMES = {"date_as_object": False}


def marts(raw: Path, store: Path) -> None:
    # Every orders file as one table (the batch folder's files, or the single file), as the dbt project reads them.
    orders = pq.read_table([str(path) for path in orders_files(raw)]).to_pandas(**DATES_AS_DATETIMES)
    customers = pd.read_parquet(raw / "customers.parquet", columns=["customer_id", "name", "tier"])
    products = pd.read_parquet(raw / "products.parquet")
    orders["total_amount"] = orders["quantity"] * orders["price"]

    # A row is an order line: orders are counted once (distinct order_id), money is summed over lines.
    summary = (
        orders.groupby("customer_id")
        .agg(
            total_orders=("order_id", "nunique"),
            total_spent=("total_amount", "sum"),
            first_order=("order_date", "min"),
            last_order=("order_date", "max"),
        )
        .reset_index()
        .merge(customers, on="customer_id", how="left")
    )
    summary["avg_order_value"] = summary["total_spent"] / summary["total_orders"]
    summary[["total_spent", "avg_order_value"]] = summary[["total_spent", "avg_order_value"]].round(2)
    performance = (
        orders.groupby("product_id")
        .agg(orders=("order_id", "nunique"), units_sold=("quantity", "sum"), revenue=("total_amount", "sum"))
        .reset_index()
        .merge(products, on="product_id", how="left")
    )
    performance["total_cost"] = performance["units_sold"] * performance["cost"]
    performance["profit"] = performance["revenue"] - performance["total_cost"]
    performance["profit_margin"] = (performance["profit"] / performance["revenue"] * 100).round(2)

    summary.to_pickle(store / "customer_order_summary.pkl")
    performance.to_pickle(store / "product_performance.pkl")


def equal_width_score(values: pd.Series, labels: list[int]) -> pd.Series:
    return pd.cut(values, bins=3, labels=labels).astype("float").fillna(labels[0]).astype("int64")


def features(store: Path) -> None:
    summary = pd.read_pickle(store / "customer_order_summary.pkl")
    reference = pd.to_datetime(summary["last_order"]).max()
    customers = summary[["customer_id", "total_orders", "total_spent", "avg_order_value"]].copy()
    customers["days_since_last_order"] = (reference - pd.to_datetime(summary["last_order"])).dt.days
    customers["days_since_first_order"] = (reference - pd.to_datetime(summary["first_order"])).dt.days
    customers["order_frequency"] = customers["total_orders"] / (customers["days_since_first_order"] + 1) * 30
    customers["is_premium"] = (summary["tier"] == "premium").astype("int64")
    customers["recency_score"] = equal_width_score(customers["days_since_last_order"], [3, 2, 1])
    customers["frequency_score"] = equal_width_score(customers["total_orders"], [1, 2, 3])
    customers["monetary_score"] = equal_width_score(customers["total_spent"], [1, 2, 3])
    customers.to_pickle(store / "customer_features.pkl")

    products = pd.read_pickle(store / "product_performance.pkl")
    products["revenue_per_order"] = products["revenue"] / products["orders"]
    products["units_per_order"] = products["units_sold"] / products["orders"]
    products = pd.concat([products, pd.get_dummies(products["category"], prefix="category")], axis=1)
    for column in ("revenue", "profit", "units_sold"):
        products[f"{column}_percentile"] = products[column].rank(pct=True)
    products["performance_tier"] = np.select(
        [
            (products["revenue_percentile"] >= 0.8) & (products["profit_percentile"] >= 0.8),
            (products["revenue_percentile"] >= 0.5) & (products["profit_percentile"] >= 0.5),
        ],
        ["high_performer", "medium_performer"],
        "low_performer",
    )
    products.to_pickle(store / "product_features.pkl")


if __name__ == "__main__":
    step, *dirs = sys.argv[1:]
    if step == "marts":
        marts(Path(dirs[0]), Path(dirs[1]))
    else:
        features(Path(dirs[1]))
