"""What the ML location expects from the analytics location: the public marts it reads, by asset key,
and the columns and DuckDB types it relies on. The one place this contract is written on this side;
tests/contracts checks it against the analytics dbt manifest."""

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

PRODUCER_LOCATION = "analytics"
MARTS_SCHEMA = "marts"  # where the analytics team publishes its public models


@dataclass(frozen=True)
class PublicModel:
    name: str
    columns: Mapping[str, str]  # column -> DuckDB type, only the columns this location uses

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey(self.name)


CUSTOMER_ORDER_SUMMARY = PublicModel(
    "customer_order_summary",
    {"customer_id": "BIGINT", "tier": "VARCHAR", "total_orders": "BIGINT", "total_spent": "DOUBLE"},
)
CUSTOMER_MONTHLY_ACTIVITY = PublicModel(
    "customer_monthly_activity",
    {"customer_id": "BIGINT", "month": "DATE", "orders": "BIGINT", "revenue": "DOUBLE"},
)
PRODUCT_PERFORMANCE = PublicModel(
    "product_performance",
    {"product_id": "BIGINT", "category": "VARCHAR", "cost": "DOUBLE", "retail_price": "DOUBLE"},
)
PRODUCT_MONTHLY_SALES = PublicModel(
    "product_monthly_sales",
    {
        "product_id": "BIGINT",
        "month": "DATE",
        "orders": "BIGINT",
        "units_sold": "BIGINT",
        "revenue": "DOUBLE",
    },
)

PUBLIC_MODELS = (
    CUSTOMER_ORDER_SUMMARY,
    CUSTOMER_MONTHLY_ACTIVITY,
    PRODUCT_PERFORMANCE,
    PRODUCT_MONTHLY_SALES,
)
