"""Raw landing files built by hand for the ML tests: customer histories and product sales whose signal is
known in advance, so a test can say what a model must learn and what its baseline cannot see.

- Every customer places one order (one line) in every month until they churn; churners place none in the
  last `window` months. Nobody skips a month before that, so as of the training cutoff every customer's
  recency is the same and the recency baseline cannot rank them (ROC AUC 0.5). Who churns depends on the
  tier only: basic customers churn with probability `basic_churn`, premium ones with `premium_churn`.
- Order quantities alternate by month: 3 units per line in even months (counted from the first), 1 in odd
  ones, so "next month sells what this month sold" is wrong by a factor of 3 every month, while the
  pattern is visible to a model in the month of year and the lags.
"""

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from datagen.generate import SCHEMAS

FIRST_MONTH = date(2023, 1, 1)


def month_start(index: int) -> date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return date(FIRST_MONTH.year + year, month + 1, 1)


def write_shop(
    raw: Path,
    *,
    customers: int = 400,
    products: int = 20,
    months: int = 24,
    window: int = 3,
    basic_churn: float = 0.8,
    premium_churn: float = 0.1,
    seed: int = 0,
) -> dict:
    """Writes customers, products and orders parquet files into `raw`; returns who churned (ids) and the
    months, for the tests' own expectations."""
    rng = np.random.default_rng(seed)
    customer_ids = np.arange(1, customers + 1)
    premium = rng.random(customers) < 0.5
    churns = rng.random(customers) < np.where(premium, premium_churn, basic_churn)
    last_month = np.where(churns, months - window - 1, months - 1)  # the last month each customer orders in

    product_ids = np.arange(101, 101 + products)
    retail_price = np.round(5.0 + np.arange(products) * 1.5, 2)
    weights = np.arange(1, products + 1, dtype=float)

    rows = [(c, m) for c, last in zip(customer_ids, last_month, strict=True) for m in range(int(last) + 1)]
    order_customer = np.array([c for c, _ in rows], dtype=np.int64)
    order_month = np.array([m for _, m in rows], dtype=np.int64)
    product_index = rng.choice(products, size=len(rows), p=weights / weights.sum())
    quantity = np.where(order_month % 2 == 0, 3, 1).astype(np.int32)
    days = rng.integers(0, 28, size=len(rows))

    tables = {
        "customers": {
            "customer_id": customer_ids,
            "name": [f"Customer {i}" for i in customer_ids],
            "email": [f"customer{i}@example.com" for i in customer_ids],
            "signup_date": [FIRST_MONTH] * customers,
            "tier": np.where(premium, "premium", "basic"),
        },
        "products": {
            "product_id": product_ids,
            "product": [f"Product {i}" for i in product_ids],
            "category": ["Things"] * products,
            "cost": np.round(retail_price * 0.6, 2),
            "retail_price": retail_price,
            "supplier": ["Supplier"] * products,
        },
        "orders": {
            "order_id": np.arange(1, len(rows) + 1),
            "customer_id": order_customer,
            "product_id": product_ids[product_index],
            "quantity": quantity,
            "price": retail_price[product_index],
            "order_date": [month_start(int(m)).replace(day=int(d) + 1) for m, d in zip(order_month, days, strict=True)],
        },
    }
    for name, columns in tables.items():
        pq.write_table(pa.table(columns, schema=SCHEMAS[name]), raw / f"{name}.parquet")
    return {"churned": set(customer_ids[churns].tolist()), "months": months, "window": window}
