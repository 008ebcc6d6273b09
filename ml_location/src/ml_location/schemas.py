"""The columns of every table the ML location writes, with their descriptions: the assets' column schema
(`dagster/column_schema`), shown on each asset's page. Feature descriptions come from features.py, where the
features are defined; each description ends with the columns the column is computed from (column_lineage.py),
because the Columns table is where the UI shows it: Dagster's own column-lineage view is Dagster+ only, and
its open-source UI hides the `dagster/column_lineage` entry. The IO managers report the types DuckDB stored,
with these descriptions."""

from collections.abc import Sequence

import dagster as dg

from ml_location.column_lineage import LINEAGE
from ml_location.features import (
    CHURN_LABEL,
    CHURN_WINDOW,
    CUSTOMER_FEATURE_DESCRIPTIONS,
    DEMAND_TARGET,
    PRODUCT_FEATURE_DESCRIPTIONS,
)

COLUMN_SCHEMA = "dagster/column_schema"


def computed_from(deps: Sequence[dg.TableColumnDep]) -> str:
    """ "From customer_monthly_activity: customer_id, month, orders." """
    by_table: dict[str, list[str]] = {}
    for dep in deps:
        by_table.setdefault(dep.asset_key.to_user_string(), []).append(dep.column_name)
    return "From " + "; ".join(f"{table}: {', '.join(dict.fromkeys(names))}" for table, names in by_table.items()) + "."


def schema(*columns: tuple[str, str, str], of: str | None = None) -> dg.TableSchema:
    """The columns of asset `of`, each description followed by the columns it is computed from."""
    lineage = LINEAGE.get(dg.AssetKey(of), {}) if of else {}
    described = [
        (name, type, f"{text} {computed_from(lineage[name])}" if name in lineage else text)
        for name, type, text in columns
    ]
    return dg.TableSchema(columns=[dg.TableColumn(name, type, text) for name, type, text in described])


# Features stored as whole numbers; every other feature is a DOUBLE.
INTEGER_FEATURES = {
    "active_months",
    "orders",
    "orders_last_3m",
    "orders_prev_3m",
    "rfm_score",
    "is_premium",
    "months_on_sale",
    "target_month_of_year",
}


def features(descriptions: dict[str, str]) -> list[tuple[str, str, str]]:
    return [
        (name, "BIGINT" if name in INTEGER_FEATURES else "DOUBLE", description)
        for name, description in descriptions.items()
    ]


CUSTOMER_FEATURES_SCHEMA = schema(
    ("customer_id", "BIGINT", "The customer."),
    ("snapshot", "VARCHAR", "`training`: as of the cutoff, labelled; `scoring`: as of the end of the data."),
    ("as_of", "TIMESTAMP_S", "The month the features are computed as of (only months before it count)."),
    *features(CUSTOMER_FEATURE_DESCRIPTIONS),
    (CHURN_LABEL, "BOOLEAN", "Training rows: no order in the churn window from the cutoff on. Null in scoring rows."),
    (CHURN_WINDOW, "BIGINT", "The churn window (months without an order) the labels were made with."),
    of="customer_features",
)

PRODUCT_FEATURES_SCHEMA = schema(
    ("product_id", "BIGINT", "The product."),
    ("month", "TIMESTAMP_NS", "The as-of month: features are known at its end."),
    *features(PRODUCT_FEATURE_DESCRIPTIONS),
    (DEMAND_TARGET, "DOUBLE", "Units sold the month after (the target); null in the latest month, which is forecast."),
    of="product_features",
)

CUSTOMER_RISK_SCORES_SCHEMA = schema(
    ("customer_id", "BIGINT", "The customer."),
    ("churn_probability", "DOUBLE", "Probability of no order in the next N months (the churn window)."),
    ("risk_tier", "VARCHAR", "high (probability >= 0.6), medium (>= 0.3) or low."),
    ("recommended_action", "VARCHAR", "What to do: by tier, a personal call for premium customers at high risk."),
    ("as_of", "TIMESTAMP_S", "The month the scores are as of (the month after the data ends)."),
    ("model_version", "BIGINT", "The customer_churn_model version that scored."),
    of="customer_risk_scores",
)

PRODUCT_DEMAND_FORECASTS_SCHEMA = schema(
    ("product_id", "BIGINT", "The product."),
    ("forecast_month", "TIMESTAMP_NS", "The month forecast (the month after the data ends)."),
    ("forecast_units", "DOUBLE", "Units the model expects to sell in forecast_month."),
    ("last_month_units", "DOUBLE", "Units sold in the latest month of the data."),
    ("change_vs_last_month", "DOUBLE", "(forecast - last month) / last month; null when nothing sold last month."),
    ("inventory_recommendation", "VARCHAR", "What to do with stock, from the forecast and the change."),
    ("recommended_stock", "BIGINT", "forecast_units * 1.25 (safety stock), rounded up."),
    ("model_version", "BIGINT", "The demand_forecast_model version that forecast."),
    of="product_demand_forecasts",
)

MODEL_TABLE_SCHEMA = schema(
    ("version", "INTEGER", "1, 2, ... per trained model; null for an attempt that could not train."),
    ("trained_at", "TIMESTAMP WITH TIME ZONE", "When the training ran or was attempted."),
    ("data_version", "VARCHAR", "Fingerprint of exactly the rows the model was fit on."),
    ("features", "VARCHAR[]", "The feature columns, in the model's input order."),
    ("metrics", "JSON", "Held-out metrics and their baselines; for an attempt that could not train, its figures."),
    ("model", "BLOB", "The fitted model, in skops format (never pickle)."),
    ("not_trained_reason", "VARCHAR", "Why the attempt trained no model; null when it trained one."),
    ("failed_checks", "VARCHAR", "The blocking checks the model failed; null when it passed them (then it scores)."),
)


def described(columns: list[tuple[str, str]], definition_metadata) -> dg.TableSchema:
    """The table's columns as DuckDB stored them (name, type), described from the asset's declared schema."""
    declared = (definition_metadata or {}).get(COLUMN_SCHEMA)
    declared = getattr(declared, "schema", declared)  # a TableSchemaMetadataValue, or a TableSchema
    descriptions = {column.name: column.description for column in declared.columns} if declared else {}
    return dg.TableSchema(columns=[dg.TableColumn(n, t, descriptions.get(n)) for n, t in columns])
