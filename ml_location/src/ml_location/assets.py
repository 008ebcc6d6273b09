"""The ML location's assets: features -> models -> predictions, on the analytics marts.

Upstream marts are named by AssetKey only (ml_location/upstream.py): this package never imports the
analytics location. Every asset writes ml.duckdb, so all of them share the ML warehouse pool."""

from datetime import timedelta

import dagster as dg
import pandas as pd
import pyarrow.compute as pc
from pydantic import Field

from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.churn_definition import ChurnDefinition
from ml_location.column_lineage import column_lineage
from ml_location.duckdb_files import quoted
from ml_location.features import (
    CHURN_LABEL,
    CHURN_WINDOW,
    CUSTOMER_FEATURES,
    DEMAND_TARGET,
    NULL_WITHOUT_ORDERS,
    PRODUCT_FEATURES,
    customer_feature_snapshots,
    product_feature_panel,
    snapshot_rows,
)
from ml_location.ml_warehouse import LATEST_OF, ML_WAREHOUSE_POOL, MlWarehouse
from ml_location.model_quality import MODEL_METRICS, beats_baseline, check_specs, comparison_table, no_regression
from ml_location.model_store import StoredModel, previous_accepted
from ml_location.output_checks import OutputContract, keys_unique, row_count, values_present
from ml_location.schemas import (
    COLUMN_SCHEMA,
    CUSTOMER_FEATURES_SCHEMA,
    CUSTOMER_RISK_SCORES_SCHEMA,
    MODEL_TABLE_SCHEMA,
    PRODUCT_DEMAND_FORECASTS_SCHEMA,
    PRODUCT_FEATURES_SCHEMA,
)
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


# Each model and the predictions asset that scores with it.
SCORED_WITH = {"customer_churn_model": "customer_risk_scores", "demand_forecast_model": "product_demand_forecasts"}


class TrainingConfig(dg.Config):
    seed: int = 42
    accept_regression: bool = Field(
        default=False,
        description=(
            "Accept this training's model although it is worse than the previous accepted version beyond the "
            "tolerance (the no_regression check passes, saying so): for a known change in the data."
        ),
    )


def ml_asset(io_manager_key: str = "ml_tables", **kwargs):
    return dg.asset(
        pool=ML_WAREHOUSE_POOL,
        automation_condition=AUTOMATION,
        owners=OWNERS,
        io_manager_key=io_manager_key,
        **kwargs,
    )


CUSTOMER_FEATURES_CONTRACT = OutputContract(
    keys=("customer_id", "snapshot"),
    required=(
        "customer_id, snapshot, as_of and every feature, and the label in training rows; in scoring rows "
        f"{', '.join(NULL_WITHOUT_ORDERS)} may be null (no order yet)"
    ),
    row_check="one_scoring_row_per_customer",
    row_description="The scoring snapshot has one row per customer of customer_order_summary.",
)


@ml_asset(
    deps=[CUSTOMER_ORDER_SUMMARY.key, CUSTOMER_MONTHLY_ACTIVITY.key],
    group_name="ml_features",
    kinds={"duckdb"},  # computed in DuckDB, handed on as Arrow
    check_specs=CUSTOMER_FEATURES_CONTRACT.specs("customer_features"),
    metadata={COLUMN_SCHEMA: CUSTOMER_FEATURES_SCHEMA},
)
def customer_features(context: dg.AssetExecutionContext, analytics: AnalyticsWarehouse, churn: ChurnDefinition):
    """Per customer, point-in-time features in two snapshots: `training` (as of the cutoff, the first of the
    last N months of the data, labelled `churned` = no order in those N months; N is the resource `churn`'s
    months_without_order) and `scoring` (as of the end of the data)."""
    with analytics.views(CUSTOMER_ORDER_SUMMARY, CUSTOMER_MONTHLY_ACTIVITY) as con:
        features = customer_feature_snapshots(con, churn.months_without_order)  # an Arrow table
        [(customers,)] = con.execute(f"select count(*) from {quoted(CUSTOMER_ORDER_SUMMARY.name)}").fetchall()
    training, scoring = snapshot_rows(features)
    training_as_of = pc.max(training["as_of"]).as_py()
    always = ["customer_id", "snapshot", "as_of"]
    checks = [
        keys_unique(features, CUSTOMER_FEATURES_CONTRACT.keys),
        values_present(
            [
                ("training rows", training, [*always, *CUSTOMER_FEATURES, CHURN_LABEL]),
                ("scoring rows", scoring, [*always, *(f for f in CUSTOMER_FEATURES if f not in NULL_WITHOUT_ORDERS)]),
            ]
        ),
        row_count(
            CUSTOMER_FEATURES_CONTRACT.row_check,
            len(scoring),
            customers,
            f"customer of customer_order_summary ({customers:,})",
        ),
    ]
    return dg.MaterializeResult(
        value=features,
        metadata={
            **column_lineage(context.asset_key),
            "churn_months_without_order": churn.months_without_order,
            "training_as_of": str(training_as_of.date()) if training_as_of else "none",
            "training_customers": len(training),
            "churned_customers": pc.sum(training["churned"]).as_py() or 0,
            "scoring_customers": len(scoring),
            "churn_rate": round(pc.mean(training["churned"]).as_py(), 4) if len(training) else 0.0,
        },
        check_results=checks,
    )


PRODUCT_FEATURES_CONTRACT = OutputContract(
    keys=("product_id", "month"),
    required=f"product_id, month and every feature; {DEMAND_TARGET} in every month but the latest",
    row_check="one_forecast_row_per_product",
    row_description="The latest month has one row per product of product_performance (each gets a forecast).",
)


@ml_asset(
    deps=[PRODUCT_PERFORMANCE.key, PRODUCT_MONTHLY_SALES.key],
    group_name="ml_features",
    kinds={"pandas", "duckdb"},
    check_specs=PRODUCT_FEATURES_CONTRACT.specs("product_features"),
    metadata={COLUMN_SCHEMA: PRODUCT_FEATURES_SCHEMA},
)
def product_features(context: dg.AssetExecutionContext, analytics: AnalyticsWarehouse):
    """Per product and month, the demand features known at the end of the month and the units sold the
    next month (the target; null in the latest month, whose rows are forecast)."""
    products, monthly = analytics.read(PRODUCT_PERFORMANCE, PRODUCT_MONTHLY_SALES)
    panel = product_feature_panel(products, monthly)  # an Arrow table: ~9 million rows at 200,000 products
    last_month = pc.max(panel["month"])
    latest = pc.equal(panel["month"], last_month)
    checks = [
        keys_unique(panel, PRODUCT_FEATURES_CONTRACT.keys),
        values_present(
            [
                ("", panel, ["product_id", "month", *PRODUCT_FEATURES]),
                ("all but the latest month", panel.select([DEMAND_TARGET]).filter(pc.invert(latest)), [DEMAND_TARGET]),
            ]
        ),
        row_count(
            PRODUCT_FEATURES_CONTRACT.row_check,
            pc.sum(latest).as_py() or 0,
            len(products),
            f"product of product_performance ({len(products):,})",
        ),
    ]
    return dg.MaterializeResult(
        value=panel,
        metadata={
            **column_lineage(context.asset_key),
            "months": pc.count_distinct(panel["month"]).as_py(),
            "latest_month": str(last_month.as_py().date()),
        },
        check_results=checks,
    )


# scikit-learn is imported inside the model assets: each process that merely loads this location (the code
# server, each run, each feature step) would otherwise pay for it (docs/benchmarks.md).


def model_output(context: dg.AssetExecutionContext, ml: MlWarehouse, config: TrainingConfig, result):
    """A trained model becomes the asset's output (stored by the `ml_models` IO manager), described for the
    UI: its held-out metrics (rounded; plotted across materializations), a table of model vs baseline vs the
    previous accepted version, importances as a table, and as its data version the fingerprint of the rows
    it was fit on; with its two blocking checks (model_quality.py). A model that fails one is stored with
    the reason, and nothing scores with it.

    A model that could not be trained is not materialized: the attempt and its reason are stored in the
    model's table and recorded on the asset as an observation with the figures, and the assets that score
    with it are skipped in this run, so that no prediction from an older model looks new."""
    from ml_location.model_store import record_not_trained
    from ml_location.models import NotTrained

    name = context.asset_key.path[-1]
    if isinstance(result, NotTrained):
        record_not_trained(ml, name, result)
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
                    # One JSON entry, not numbers: the UI plots every numeric entry beside the model's metrics.
                    "not_trained_figures": dg.MetadataValue.json(result.figures),
                },
            )
        )
        # Its checks say so rather than emit nothing (Dagster would then log that what scores with the model
        # "will proceed without gating on it"): failed, as warnings, since a model that cannot learn is an
        # outcome (README, "ML location"). What scores with it is skipped, for want of a model, and says why.
        for check in check_specs(name):
            yield dg.AssetCheckResult(
                asset_key=context.asset_key,
                check_name=check.name,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=f"Not evaluated: {name} trained no model in this run (its observation says why).",
                metadata={"trained": False},
            )
        context.log.info(
            f"{name} trained no model, so {SCORED_WITH[name]} is not run: it keeps the "
            "scores of the last model that was trained and passed its checks."
        )
        return
    previous = previous_accepted(ml, name)
    checks = [
        beats_baseline(name, result.metrics),
        no_regression(name, result.metrics, previous, accepted_by_hand=config.accept_regression),
    ]
    failed = [check for check in checks if not check.passed]
    if failed:
        result.failed_checks = " ".join(f"{check.check_name}: {check.description}" for check in failed)
    importances = dg.MetadataValue.table(
        records=[
            dg.TableRecord({"feature": f, "importance": round(float(i), 4)}) for f, i in result.importances.values
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("feature", "string"),
                dg.TableColumn("importance", "float", description="drop in the held-out score when shuffled"),
            ]
        ),
    )
    yield dg.MaterializeResult(
        value=result,
        metadata={
            # The model's own metrics and its training rows are the numbers (the UI plots each across versions);
            # its baselines are in the comparison table, beside them, and the split's sizes in one JSON entry.
            **{m.name: dg.MetadataValue.float(round(result.metrics[m.name], 4)) for m in MODEL_METRICS[name]},
            "model_vs_baseline": comparison_table(name, result.metrics, previous),
            "held_out_split": dg.MetadataValue.json(
                {k: int(v) for k, v in result.metrics.items() if k.startswith(("train_", "test_"))}
            ),
            "trained_on_data_version": result.data_version,
            "trained_on_rows": len(result.fitted_on),
            "feature_importance": importances,
        },
        data_version=dg.DataVersion(result.data_version),
        check_results=checks,
    )
    if failed:
        # The step fails with this sentence, which the UI shows first and `make demo` prints (Dagster's own
        # failure of a blocking check names the check only). The model is stored: its figures can be read.
        raise dg.Failure(
            description=(
                f"{name} failed its blocking checks, so nothing scores with it: {SCORED_WITH[name]} "
                + (
                    f"keeps the scores of v{previous[0]}, the previous accepted version. "
                    if previous
                    else "has no scores yet, no version having passed its checks. "
                )
                + result.failed_checks
            ),
            allow_retries=False,
        )


def model_asset(name: str, features: str, description: str):
    """A model asset: one multi-asset spec, so that when it trains nothing (data it cannot learn from) its
    checks are not required either (`can_subset`: a plain @asset requires every check's result)."""
    spec = dg.AssetSpec(
        name,
        deps=[features],  # read as the function's input of the same name, or by the function itself
        description=description,
        group_name="ml_models",
        kinds={"scikitlearn", "duckdb"},
        owners=OWNERS,
        automation_condition=AUTOMATION,
        metadata={COLUMN_SCHEMA: MODEL_TABLE_SCHEMA},
        skippable=True,
    ).with_io_manager_key("ml_models")
    return dg.multi_asset(specs=[spec], check_specs=check_specs(name), can_subset=True, pool=ML_WAREHOUSE_POOL)


@model_asset(
    "customer_churn_model",
    "customer_features",
    "Will a customer place no order in the next N months (the churn window customer_features was labelled "
    "with)? Trained on the training snapshot, evaluated on held-out customers (ROC AUC, average precision, "
    "precision, recall) beside the baseline rule 'already no order for N months' (recency as its score), with "
    "two blocking checks: beats_baseline and no_regression. Not materialized when the snapshot has too few "
    "churned or retained customers; the observation says which and what to change.",
)
def customer_churn_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse, customer_features: pd.DataFrame
):
    from ml_location.models import train_churn_model

    training = customer_features[customer_features["snapshot"] == "training"]
    window = int(customer_features[CHURN_WINDOW].iloc[0])
    yield from model_output(context, ml, config, train_churn_model(training, window, config.seed, context.log.info))


@model_asset(
    "demand_forecast_model",
    "product_features",
    "Next month's units per product, from past months. The last month with a known next month is held out; "
    "MAE beside the naive forecast 'next month sells what this month sold', with two blocking checks: "
    "beats_baseline and no_regression. Not materialized when there are too few months or rows to train and "
    "evaluate on.",
)
def demand_forecast_model(context: dg.AssetExecutionContext, config: TrainingConfig, ml: MlWarehouse):
    from ml_location.demand_sample import rows_of_table
    from ml_location.models import train_demand_model

    # Not loaded whole as an input: the panel is streamed, and only a bounded sample of it is held (demand_sample.py).
    rows = rows_of_table(ml, product_features.key.path[-1])
    yield from model_output(context, ml, config, train_demand_model(rows, config.seed, context.log.info))


PREDICTIONS = {
    "group_name": "ml_predictions",
    "kinds": {"pandas", "duckdb"},
    "freshness_policy": PREDICTIONS_FRESHNESS,
}

RISK_SCORES_CONTRACT = OutputContract(
    keys=("customer_id",),
    required="any column",
    row_check="one_score_per_customer",
    row_description="One score per customer of customer_features' scoring snapshot (every customer of the mart).",
)
FORECASTS_CONTRACT = OutputContract(
    keys=("product_id",),
    required="any column but change_vs_last_month (null when nothing sold last month)",
    row_check="one_forecast_per_product",
    row_description="One forecast per product of product_features' latest month (every product of the mart).",
)


@ml_asset(
    check_specs=RISK_SCORES_CONTRACT.specs("customer_risk_scores"),
    metadata={COLUMN_SCHEMA: CUSTOMER_RISK_SCORES_SCHEMA},
    **PREDICTIONS,
)
def customer_risk_scores(
    context: dg.AssetExecutionContext, customer_churn_model: StoredModel, customer_features: pd.DataFrame
):
    """Churn probability, risk tier and recommended action for every customer, as of the end of the data,
    from the model version customer_churn_model's latest materialization stored."""
    from ml_location.predictions import score_customers

    scoring = customer_features[customer_features["snapshot"] == "scoring"]
    scores = score_customers(scoring, customer_churn_model)
    tiers = scores["risk_tier"].value_counts()
    checks = [
        keys_unique(scores, RISK_SCORES_CONTRACT.keys),
        values_present([("", scores, list(scores.columns))]),
        row_count(RISK_SCORES_CONTRACT.row_check, len(scores), len(scoring), f"scoring customer ({len(scoring):,})"),
    ]
    return dg.MaterializeResult(
        value=scores,
        metadata={
            **column_lineage(context.asset_key),
            "model_version": dg.MetadataValue.text(f"v{customer_churn_model.version}"),
            **{f"customers_{tier}_risk": int(tiers.get(tier, 0)) for tier in ("high", "medium", "low")},
            "mean_churn_probability": round(float(scores["churn_probability"].mean()), 4) if len(scores) else 0.0,
        },
        check_results=checks,
    )


@ml_asset(
    # Only the latest month of the panel, the one forecast from (the IO manager reads no other row).
    ins={"product_features": dg.AssetIn(metadata={LATEST_OF: "month"})},
    check_specs=FORECASTS_CONTRACT.specs("product_demand_forecasts"),
    metadata={COLUMN_SCHEMA: PRODUCT_DEMAND_FORECASTS_SCHEMA},
    **PREDICTIONS,
)
def product_demand_forecasts(
    context: dg.AssetExecutionContext, demand_forecast_model: StoredModel, product_features: pd.DataFrame
):
    """Next month's forecast units per product, the change against last month and what to do with stock,
    from the model version demand_forecast_model's latest materialization stored."""
    from ml_location.predictions import forecast_products

    latest = product_features  # its latest month only: `ins` above
    forecasts = forecast_products(latest, demand_forecast_model)
    checks = [
        keys_unique(forecasts, FORECASTS_CONTRACT.keys),
        values_present([("", forecasts, [c for c in forecasts.columns if c != "change_vs_last_month"])]),
        row_count(FORECASTS_CONTRACT.row_check, len(forecasts), len(latest), f"product to forecast ({len(latest):,})"),
    ]
    return dg.MaterializeResult(
        value=forecasts,
        metadata={
            **column_lineage(context.asset_key),
            "model_version": dg.MetadataValue.text(f"v{demand_forecast_model.version}"),
            "forecast_units_total": round(float(forecasts["forecast_units"].sum()), 1),
            "products_to_restock": int((forecasts["inventory_recommendation"] == "increase stock").sum()),
        },
        check_results=checks,
    )
