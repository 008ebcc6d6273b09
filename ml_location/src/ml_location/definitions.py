"""The `ml` code location."""

import warnings

import dagster as dg

from ml_location.analytics_reader import AnalyticsWarehouse
from ml_location.assets import (
    customer_churn_model,
    customer_features,
    customer_risk_scores,
    demand_forecast_model,
    product_demand_forecasts,
    product_features,
)
from ml_location.churn_definition import ChurnDefinition
from ml_location.ml_warehouse import MlTablesIOManager, MlWarehouse
from ml_location.model_store import MlModelsIOManager
from ml_location.monitoring import alert_sink, boundary_failure_alerts
from warehouse_paths import ML_PG_URL_ENV, WAREHOUSE_DIR_ENV, warehouse_backend

# Paths are resource configuration, read from the environment where the run executes: the UI shows them.
# The one backend switch: on a PostgreSQL warehouse both resources log in as the ML team ($ML_PG_URL).
WAREHOUSE = {"warehouse_dir": dg.EnvVar(WAREHOUSE_DIR_ENV)}
if warehouse_backend() == "postgres":
    WAREHOUSE["postgres_url"] = dg.EnvVar(ML_PG_URL_ENV)
ml_warehouse = MlWarehouse(**WAREHOUSE)

# Each asset links to the file and line that defines it (the asset page's "Code" entry). Without a remote
# in this repository, the references are local paths; a deployment with one would wrap these in
# dg.link_code_references_to_git. The API is marked beta: its warning would print in every process that loads
# this location.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    assets = dg.with_source_code_references(
        [
            customer_features,
            product_features,
            customer_churn_model,
            demand_forecast_model,
            customer_risk_scores,
            product_demand_forecasts,
        ]
    )

defs = dg.Definitions(
    assets=assets,
    sensors=[
        # Dagster creates its default automation sensor stopped; this location's runs by default.
        dg.AutomationConditionSensorDefinition(
            "ml_automation",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=10,  # Dagster's default 30 s is part of the drop -> scores latency
        ),
        boundary_failure_alerts,
    ],
    # The six assets run one at a time anyway (pool ml_warehouse): in the run's own process, without an
    # interpreter start and the location's imports per step.
    executor=dg.in_process_executor,
    resources={
        "analytics": AnalyticsWarehouse(**WAREHOUSE),
        "ml": ml_warehouse,
        "ml_tables": MlTablesIOManager(warehouse=ml_warehouse),
        "ml_models": MlModelsIOManager(warehouse=ml_warehouse),
        "churn": ChurnDefinition(),
        "alerts": alert_sink(),
    },
)
