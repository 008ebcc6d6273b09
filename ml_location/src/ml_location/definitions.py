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

ml_warehouse = MlWarehouse()

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
            "ml_automation", target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING
        ),
        boundary_failure_alerts,
    ],
    resources={
        "analytics": AnalyticsWarehouse(),
        "ml": ml_warehouse,
        "ml_tables": MlTablesIOManager(warehouse=ml_warehouse),
        "ml_models": MlModelsIOManager(warehouse=ml_warehouse),
        "churn": ChurnDefinition(),
        "alerts": alert_sink(),
    },
)
