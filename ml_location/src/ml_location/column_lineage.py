"""Which columns each column of the ML location's tables is computed from, across the two code locations:
a feature from the public marts' columns, a prediction from the features'. Every materialization of these
assets carries it as `dagster/column_lineage`, as dagster-dbt's models carry theirs, so the lineage of a
column runs from a raw file through the marts into a forecast, and a change to a mart's column names the ML
columns it reaches. The marts' columns named here are among those upstream.py's contract checks
(tests/ml_location/test_column_lineage.py holds both to that and to every feature having its sources)."""

from collections.abc import Mapping

import dagster as dg

from ml_location.features import CHURN_LABEL, CUSTOMER_FEATURES, DEMAND_TARGET, PRODUCT_FEATURES
from ml_location.upstream import (
    CUSTOMER_MONTHLY_ACTIVITY,
    CUSTOMER_ORDER_SUMMARY,
    PRODUCT_MONTHLY_SALES,
    PRODUCT_PERFORMANCE,
    PublicModel,
)

COLUMN_LINEAGE = "dagster/column_lineage"

CUSTOMER_FEATURES_KEY = dg.AssetKey("customer_features")
PRODUCT_FEATURES_KEY = dg.AssetKey("product_features")


def of(source: PublicModel | dg.AssetKey, *columns: str) -> list[dg.TableColumnDep]:
    key = source.key if isinstance(source, PublicModel) else source
    return [dg.TableColumnDep(asset_key=key, column_name=column) for column in columns]


# Months with an order, counted back from the as-of month (customer_monthly_activity's month), and what they hold.
MONTHS = of(CUSTOMER_MONTHLY_ACTIVITY, "customer_id", "month")
ORDERS = MONTHS + of(CUSTOMER_MONTHLY_ACTIVITY, "orders")
REVENUE = MONTHS + of(CUSTOMER_MONTHLY_ACTIVITY, "revenue")

CUSTOMER_FEATURE_SOURCES: Mapping[str, list[dg.TableColumnDep]] = {
    "recency_months": MONTHS,
    "tenure_months": MONTHS,
    "active_months": MONTHS,
    "orders": ORDERS,
    "revenue": REVENUE,
    "avg_order_value": ORDERS + of(CUSTOMER_MONTHLY_ACTIVITY, "revenue"),
    "orders_last_3m": ORDERS,
    "orders_prev_3m": ORDERS,
    "revenue_last_3m": REVENUE,
    "order_trend": ORDERS,
    "rfm_score": ORDERS + of(CUSTOMER_MONTHLY_ACTIVITY, "revenue"),
    "is_premium": of(CUSTOMER_ORDER_SUMMARY, "tier"),
}

# A product's units and orders per month (product_monthly_sales), laid out as a panel of months.
SALES = of(PRODUCT_MONTHLY_SALES, "product_id", "month", "units_sold")

PRODUCT_FEATURE_SOURCES: Mapping[str, list[dg.TableColumnDep]] = {
    "units_lag1": SALES,
    "units_lag2": SALES,
    "units_lag3": SALES,
    "units_mean_3m": SALES,
    "units_mean_6m": SALES,
    "units_lag12": SALES,
    "orders_lag1": of(PRODUCT_MONTHLY_SALES, "product_id", "month", "orders"),
    "months_on_sale": SALES,
    "target_month_of_year": of(PRODUCT_MONTHLY_SALES, "month"),
    "retail_price": of(PRODUCT_PERFORMANCE, "product_id", "retail_price"),
}

# What each model's predictions are computed from: every feature it was trained on.
CHURN_INPUTS = of(CUSTOMER_FEATURES_KEY, *CUSTOMER_FEATURES)
DEMAND_INPUTS = of(PRODUCT_FEATURES_KEY, *PRODUCT_FEATURES)

LINEAGE: Mapping[dg.AssetKey, Mapping[str, list[dg.TableColumnDep]]] = {
    CUSTOMER_FEATURES_KEY: {
        "customer_id": of(CUSTOMER_ORDER_SUMMARY, "customer_id"),
        "as_of": of(CUSTOMER_MONTHLY_ACTIVITY, "month"),  # the cutoff, or the month after the data ends
        **CUSTOMER_FEATURE_SOURCES,
        CHURN_LABEL: MONTHS,  # no month with an order in the window from the cutoff
    },
    PRODUCT_FEATURES_KEY: {
        "product_id": of(PRODUCT_PERFORMANCE, "product_id"),
        "month": of(PRODUCT_MONTHLY_SALES, "month"),
        **PRODUCT_FEATURE_SOURCES,
        DEMAND_TARGET: SALES,  # units sold the month after
    },
    dg.AssetKey("customer_risk_scores"): {
        "customer_id": of(CUSTOMER_FEATURES_KEY, "customer_id"),
        "as_of": of(CUSTOMER_FEATURES_KEY, "as_of"),
        "churn_probability": CHURN_INPUTS,
        "risk_tier": CHURN_INPUTS,
        "recommended_action": CHURN_INPUTS,  # by tier, and is_premium
    },
    dg.AssetKey("product_demand_forecasts"): {
        "product_id": of(PRODUCT_FEATURES_KEY, "product_id"),
        "forecast_month": of(PRODUCT_FEATURES_KEY, "month"),
        "forecast_units": DEMAND_INPUTS,
        "last_month_units": of(PRODUCT_FEATURES_KEY, "units_lag1"),
        "change_vs_last_month": DEMAND_INPUTS,
        "inventory_recommendation": DEMAND_INPUTS,
        "recommended_stock": DEMAND_INPUTS,
    },
}


def column_lineage(asset: dg.AssetKey) -> dict[str, dg.TableColumnLineage]:
    """The asset's `dagster/column_lineage` metadata entry."""
    return {COLUMN_LINEAGE: dg.TableColumnLineage(deps_by_column=LINEAGE[asset])}
