"""The ML location's assets: features -> models -> predictions, on the analytics marts.

Upstream marts are named by AssetKey only (ml_location/upstream.py): this package never imports the
analytics location. Every asset writes ml.duckdb, so all of them share the ML warehouse pool."""

import hashlib
from datetime import timedelta

import dagster as dg
import pandas as pd

from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.features import customer_feature_snapshots, product_feature_panel
from ml_location.ml_warehouse import ML_WAREHOUSE_POOL, MlWarehouse
from ml_location.upstream import (
    CUSTOMER_MONTHLY_ACTIVITY,
    CUSTOMER_ORDER_SUMMARY,
    PRODUCT_MONTHLY_SALES,
    PRODUCT_PERFORMANCE,
)

OWNERS = ["ml@example.com"]
# Re-run after any upstream asset updates -- across code locations too -- but never on upstream data
# whose blocking checks (the analytics team's error-severity dbt tests) did not pass.
AUTOMATION = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


# Predictions are rebuilt whenever the marts change, and the marts at least daily: a day without a new
# score is a failure the ML team owns (warn after 24 h, fail after 26 h).
PREDICTIONS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26), warn_window=timedelta(hours=24))


class TrainingConfig(dg.Config):
    seed: int = 42


def ml_asset(**kwargs):
    return dg.asset(
        pool=ML_WAREHOUSE_POOL,
        automation_condition=AUTOMATION,
        owners=OWNERS,
        io_manager_key="ml_tables",
        **kwargs,
    )


def data_version(frame: pd.DataFrame) -> str:
    """A fingerprint of exactly the rows a model was trained on."""
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()[:16]


@ml_asset(
    deps=[CUSTOMER_ORDER_SUMMARY.key, CUSTOMER_MONTHLY_ACTIVITY.key],
    group_name="ml_features",
    kinds={"pandas", "duckdb"},
)
def customer_features(context: dg.AssetExecutionContext, analytics: AnalyticsWarehouse) -> pd.DataFrame:
    """Per customer, point-in-time features in two snapshots: `training` (as of the cutoff three months
    before the end of the data, labelled `churned`) and `scoring` (as of the end of the data)."""
    with analytics.views(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY) as con:
        features = customer_feature_snapshots(con)
    training = features[features["snapshot"] == "training"]
    context.add_output_metadata(
        {
            "training_as_of": str(training["as_of"].max().date()) if len(training) else "none",
            "training_customers": len(training),
            "scoring_customers": int((features["snapshot"] == "scoring").sum()),
            "churn_rate": float(training["churned"].astype(float).mean()) if len(training) else 0.0,
        }
    )
    return features


@ml_asset(
    deps=[PRODUCT_PERFORMANCE.key, PRODUCT_MONTHLY_SALES.key],
    group_name="ml_features",
    kinds={"pandas", "duckdb"},
)
def product_features(context: dg.AssetExecutionContext, analytics: AnalyticsWarehouse) -> pd.DataFrame:
    """Per product and month, the demand features known at the end of the month and the units sold the
    next month (the target; null in the latest month, whose rows are forecast)."""
    products, monthly = analytics.read(PRODUCT_PERFORMANCE, PRODUCT_MONTHLY_SALES)
    panel = product_feature_panel(products, monthly)
    context.add_output_metadata({"months": panel["month"].nunique(), "latest_month": str(panel["month"].max().date())})
    return panel


# scikit-learn and skops are imported inside the model and prediction assets: skops imports every
# scikit-learn estimator when it is imported (~2.4 s here), which every process that loads this location
# (the code server, each run, each feature step) would otherwise pay.


def stored_model(ml: MlWarehouse, name: str, trained, training: pd.DataFrame) -> dg.MaterializeResult:
    """Save a trained model as the next row of its table, and describe it for the UI: metrics as numbers
    (plotted across materializations), importances as a table, and as its data version the fingerprint
    of the rows it was trained on."""
    from ml_location.model_store import save_model

    version_of_data = data_version(training)
    version = save_model(ml, name, trained.model, trained.features, trained.metrics, version_of_data)
    importances = dg.MetadataValue.table(
        records=[dg.TableRecord({"feature": f, "importance": float(i)}) for f, i in trained.importances.values],
        schema=dg.TableSchema(columns=[dg.TableColumn("feature", "string"), dg.TableColumn("importance", "float")]),
    )
    return dg.MaterializeResult(
        metadata={
            **{metric: dg.MetadataValue.float(value) for metric, value in trained.metrics.items()},
            "model_version": version,
            "trained_on_data_version": version_of_data,
            "feature_importance": importances,
        },
        data_version=dg.DataVersion(version_of_data),
    )


@ml_asset(group_name="ml_models", kinds={"scikitlearn", "duckdb"})
def customer_churn_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse, customer_features: pd.DataFrame
):
    """Will a customer place no order in the next three months? Trained on the training snapshot,
    evaluated on held-out customers (ROC AUC, precision, recall) beside the rule 'no order for 3 months'."""
    from ml_location.models import train_churn_model

    training = customer_features[customer_features["snapshot"] == "training"]
    return stored_model(ml, context.asset_key.path[-1], train_churn_model(training, config.seed), training)


@ml_asset(group_name="ml_models", kinds={"scikitlearn", "duckdb"})
def demand_forecast_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse, product_features: pd.DataFrame
):
    """Next month's units per product, from past months. The last month with a known next month is held
    out; MAE beside the naive forecast 'next month sells what this month sold'."""
    from ml_location.models import train_demand_model

    trained = train_demand_model(product_features, config.seed)
    return stored_model(ml, context.asset_key.path[-1], trained, product_features)


@ml_asset(
    deps=[customer_churn_model],
    group_name="ml_predictions",
    kinds={"pandas", "duckdb"},
    freshness_policy=PREDICTIONS_FRESHNESS,
)
def customer_risk_scores(
    context: dg.AssetExecutionContext, ml: MlWarehouse, customer_features: pd.DataFrame
) -> pd.DataFrame:
    """Churn probability, risk tier and recommended action for every customer, as of the end of the data."""
    from ml_location.model_store import load_latest_model
    from ml_location.predictions import score_customers

    stored = load_latest_model(ml, customer_churn_model.key.path[-1])
    scores = score_customers(customer_features[customer_features["snapshot"] == "scoring"], stored)
    tiers = scores["risk_tier"].value_counts()
    context.add_output_metadata(
        {
            "model_version": stored.version,
            **{f"customers_{tier}_risk": int(tiers.get(tier, 0)) for tier in ("high", "medium", "low")},
            "mean_churn_probability": float(scores["churn_probability"].mean()) if len(scores) else 0.0,
        }
    )
    return scores


@ml_asset(
    deps=[demand_forecast_model],
    group_name="ml_predictions",
    kinds={"pandas", "duckdb"},
    freshness_policy=PREDICTIONS_FRESHNESS,
)
def product_demand_forecasts(
    context: dg.AssetExecutionContext, ml: MlWarehouse, product_features: pd.DataFrame
) -> pd.DataFrame:
    """Next month's forecast units per product, the change against last month and what to do with stock."""
    from ml_location.model_store import load_latest_model
    from ml_location.predictions import forecast_products

    stored = load_latest_model(ml, demand_forecast_model.key.path[-1])
    latest = product_features[product_features["month"] == product_features["month"].max()]
    forecasts = forecast_products(latest, stored)
    context.add_output_metadata(
        {
            "model_version": stored.version,
            "forecast_units_total": float(forecasts["forecast_units"].sum()),
            "products_to_restock": int((forecasts["inventory_recommendation"] == "increase stock").sum()),
        }
    )
    return forecasts
