"""The `ml` code location."""

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
from warehouse_paths import WAREHOUSE_DIR_ENV

# Paths are resource configuration, read from the environment where the run executes: the UI shows them.
ml_warehouse = MlWarehouse(warehouse_dir=dg.EnvVar(WAREHOUSE_DIR_ENV))

defs = dg.Definitions(
    assets=[
        customer_features,
        product_features,
        customer_churn_model,
        demand_forecast_model,
        customer_risk_scores,
        product_demand_forecasts,
    ],
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
        "analytics": AnalyticsWarehouse(warehouse_dir=dg.EnvVar(WAREHOUSE_DIR_ENV)),
        "ml": ml_warehouse,
        "ml_tables": MlTablesIOManager(warehouse=ml_warehouse),
        "ml_models": MlModelsIOManager(warehouse=ml_warehouse),
        "churn": ChurnDefinition(),
        "alerts": alert_sink(),
    },
)
