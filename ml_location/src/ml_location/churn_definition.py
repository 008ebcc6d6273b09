"""What churn means for the ML team: a customer has churned after `months_without_order` whole calendar
months without an order (the marts are monthly).

A resource rather than run config, so that one value labels the training data in every run, automated
runs included; the UI shows it on the resource's page and on each customer_features materialization."""

import dagster as dg
from pydantic import Field


class ChurnDefinition(dg.ConfigurableResource):
    months_without_order: int = Field(
        default=3,
        ge=1,
        description=(
            "A customer has churned after this many whole calendar months without an order. Sets the label "
            "window of customer_features (the last N months of the data) and the baseline rule of "
            "customer_churn_model."
        ),
    )
