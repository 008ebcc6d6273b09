"""The ML location's assets: features -> models -> predictions, on the analytics marts.

Upstream marts are named by AssetKey only (ml_location/upstream.py): this package never imports the
analytics location. Every asset writes ml.duckdb, so all of them share the ML warehouse pool."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.churn_definition import ChurnDefinition
from ml_location.features import CHURN_WINDOW, customer_feature_snapshots, product_feature_panel
from ml_location.ml_warehouse import ML_WAREHOUSE_POOL, MlWarehouse
from ml_location.model_store import StoredModel
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


def ml_asset(io_manager_key: str = "ml_tables", **kwargs):
    return dg.asset(
        pool=ML_WAREHOUSE_POOL,
        automation_condition=AUTOMATION,
        owners=OWNERS,
        io_manager_key=io_manager_key,
        **kwargs,
    )


@ml_asset(
    deps=[CUSTOMER_ORDER_SUMMARY.key, CUSTOMER_MONTHLY_ACTIVITY.key],
    group_name="ml_features",
    kinds={"pandas", "duckdb"},
)
def customer_features(
    context: dg.AssetExecutionContext, analytics: AnalyticsWarehouse, churn: ChurnDefinition
) -> pd.DataFrame:
    """Per customer, point-in-time features in two snapshots: `training` (as of the cutoff, the first of the
    last N months of the data, labelled `churned` = no order in those N months; N is the resource `churn`'s
    months_without_order) and `scoring` (as of the end of the data)."""
    with analytics.views(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY) as con:
        features = customer_feature_snapshots(con, churn.months_without_order)
    training = features[features["snapshot"] == "training"]
    context.add_output_metadata(
        {
            "churn_months_without_order": churn.months_without_order,
            "training_as_of": str(training["as_of"].max().date()) if len(training) else "none",
            "training_customers": len(training),
            "churned_customers": int(training["churned"].astype(bool).sum()),
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


# scikit-learn is imported inside the model assets: each process that merely loads this location (the code
# server, each run, each feature step) would otherwise pay for it (docs/benchmarks.md).


def model_output(context: dg.AssetExecutionContext, ml: MlWarehouse, result):
    """A trained model becomes the asset's output (stored by the `ml_models` IO manager), described for the
    UI: metrics as numbers (plotted across materializations), importances as a table, and as its data
    version the fingerprint of the rows it was fit on.

    A model that could not be trained is not materialized: the attempt and its reason are stored in the
    model's table and recorded on the asset as an observation with the figures, and the assets that score
    with it are skipped in this run, so that no prediction from an older model looks new."""
    from ml_location.model_store import record_not_trained
    from ml_location.models import NotTrained

    if isinstance(result, NotTrained):
        record_not_trained(ml, context.asset_key.path[-1], result)
        # Info, not a warning: data a model cannot learn from is an outcome the asset records, not a fault of
        # the run; the observation carries it to the asset's page, and `make demo` prints it once.
        context.log.info(result.reason)
        context.log_event(
            dg.AssetObservation(
                asset_key=context.asset_key,
                description="Not trained",
                metadata={
                    "trained": False,
                    "not_trained_reason": dg.MetadataValue.text(result.reason),
                    **result.figures,
                },
            )
        )
        return
    importances = dg.MetadataValue.table(
        records=[dg.TableRecord({"feature": f, "importance": float(i)}) for f, i in result.importances.values],
        schema=dg.TableSchema(columns=[dg.TableColumn("feature", "string"), dg.TableColumn("importance", "float")]),
    )
    yield dg.MaterializeResult(
        value=result,
        metadata={
            **{metric: dg.MetadataValue.float(value) for metric, value in result.metrics.items()},
            "trained_on_data_version": result.data_version,
            "trained_on_rows": len(result.fitted_on),
            "feature_importance": importances,
        },
        data_version=dg.DataVersion(result.data_version),
    )


MODEL = {"group_name": "ml_models", "kinds": {"scikitlearn", "duckdb"}, "io_manager_key": "ml_models"}


@ml_asset(output_required=False, **MODEL)
def customer_churn_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse, customer_features: pd.DataFrame
):
    """Will a customer place no order in the next N months (the churn window customer_features was labelled
    with)? Trained on the training snapshot, evaluated on held-out customers (ROC AUC, precision, recall)
    beside the baseline rule 'already no order for N months' (recency as its score). Not materialized when
    the snapshot has too few churned or retained customers; the observation says which and what to change."""
    from ml_location.models import train_churn_model

    training = customer_features[customer_features["snapshot"] == "training"]
    window = int(customer_features[CHURN_WINDOW].iloc[0])
    yield from model_output(context, ml, train_churn_model(training, window, config.seed))


@ml_asset(output_required=False, **MODEL)
def demand_forecast_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse, product_features: pd.DataFrame
):
    """Next month's units per product, from past months. The last month with a known next month is held
    out; MAE beside the naive forecast 'next month sells what this month sold'. Not materialized when there
    are too few months or rows to train and evaluate on."""
    from ml_location.models import train_demand_model

    yield from model_output(context, ml, train_demand_model(product_features, config.seed))


PREDICTIONS = {
    "group_name": "ml_predictions",
    "kinds": {"pandas", "duckdb"},
    "freshness_policy": PREDICTIONS_FRESHNESS,
}


@ml_asset(**PREDICTIONS)
def customer_risk_scores(
    context: dg.AssetExecutionContext, customer_churn_model: StoredModel, customer_features: pd.DataFrame
) -> pd.DataFrame:
    """Churn probability, risk tier and recommended action for every customer, as of the end of the data,
    from the model version customer_churn_model's latest materialization stored."""
    from ml_location.predictions import score_customers

    scores = score_customers(customer_features[customer_features["snapshot"] == "scoring"], customer_churn_model)
    tiers = scores["risk_tier"].value_counts()
    context.add_output_metadata(
        {
            "model_version": customer_churn_model.version,
            **{f"customers_{tier}_risk": int(tiers.get(tier, 0)) for tier in ("high", "medium", "low")},
            "mean_churn_probability": float(scores["churn_probability"].mean()) if len(scores) else 0.0,
        }
    )
    return scores


@ml_asset(**PREDICTIONS)
def product_demand_forecasts(
    context: dg.AssetExecutionContext, demand_forecast_model: StoredModel, product_features: pd.DataFrame
) -> pd.DataFrame:
    """Next month's forecast units per product, the change against last month and what to do with stock,
    from the model version demand_forecast_model's latest materialization stored."""
    from ml_location.predictions import forecast_products

    latest = product_features[product_features["month"] == product_features["month"].max()]
    forecasts = forecast_products(latest, demand_forecast_model)
    context.add_output_metadata(
        {
            "model_version": demand_forecast_model.version,
            "forecast_units_total": float(forecasts["forecast_units"].sum()),
            "products_to_restock": int((forecasts["inventory_recommendation"] == "increase stock").sum()),
        }
    )
    return forecasts
