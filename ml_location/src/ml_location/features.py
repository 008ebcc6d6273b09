"""Feature definitions: one function per entity, used for training and scoring alike.

Everything is computed as of a month: only the months before it are used, so a training snapshot taken
at a cutoff cannot see what happened after the cutoff. The reference month comes from the data (the
latest month with orders), never from the calendar.
"""

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ml_location.duckdb_files import quoted
from ml_location.upstream import CUSTOMER_MONTHLY_ACTIVITY, CUSTOMER_ORDER_SUMMARY

# Each feature with its description (the column schema the UI shows is built from these).
CUSTOMER_FEATURE_DESCRIPTIONS = {
    "recency_months": "Months between the last month with an order and the as-of month (1 = the month before); "
    "null when the customer had no order before it.",
    "tenure_months": "Months since the first month with an order; null when there was none before the as-of month.",
    "active_months": "Months with at least one order before the as-of month.",
    "orders": "Orders before the as-of month.",
    "revenue": "Revenue before the as-of month (sum of order lines, exact to the cent).",
    "avg_order_value": "revenue / orders; null when the customer had no order.",
    "orders_last_3m": "Orders in the 3 months before the as-of month.",
    "orders_prev_3m": "Orders in the 3 months before those.",
    "revenue_last_3m": "Revenue in the 3 months before the as-of month.",
    "order_trend": "(orders_last_3m - orders_prev_3m) / (orders_prev_3m + 1).",
    "rfm_score": "Recency, frequency and monetary scores of 1-5 each (percentile ranks), summed: 3-15.",
    "is_premium": "1 for a premium customer, 0 for basic.",
}
CUSTOMER_FEATURES = tuple(CUSTOMER_FEATURE_DESCRIPTIONS)
# Null for a customer without an order before the as-of month (scoring rows only: training rows all have one);
# the model handles missing values, so these may be null where every other feature may not.
NULL_WITHOUT_ORDERS = ("recency_months", "tenure_months", "avg_order_value")
CHURN_LABEL = "churned"
# The churn definition the training snapshot was labelled with (months without an order), kept beside the
# rows so the model and its baseline use the same window as the labels they learn from.
CHURN_WINDOW = "churn_window_months"

PRODUCT_FEATURE_DESCRIPTIONS = {
    "units_lag1": "Units sold in the month (the as-of month).",
    "units_lag2": "Units sold the month before.",
    "units_lag3": "Units sold two months before.",
    "units_mean_3m": "Mean units per month over the last 3 months.",
    "units_mean_6m": "Mean units per month over the last 6 months.",
    "units_lag12": "Units sold in the target month one year earlier (seasonality).",
    "orders_lag1": "Orders containing the product in the month.",
    "months_on_sale": "Months since the product's first sale, as of the month (1 = first month).",
    "target_month_of_year": "Calendar month (1-12) of the month forecast.",
    "retail_price": "Retail price.",
}
PRODUCT_FEATURES = tuple(PRODUCT_FEATURE_DESCRIPTIONS)
DEMAND_TARGET = "next_month_units"


class NoActivity(ValueError):
    pass


def month_number(months: pd.Series) -> np.ndarray:
    """Months since 1970-01, so that month arithmetic is integer arithmetic (numpy, no per-row Python)."""
    return months.to_numpy().astype("datetime64[M]").astype("int64")


# month_number in SQL, of a column `month`, for the features computed in DuckDB.
MONTH_NUMBER_SQL = "((year(month) - 1970) * 12 + month(month) - 1)"


def month_start(number: int | np.ndarray) -> pd.Series | pd.Timestamp:
    """The first day of month `number` (as counted by month_number)."""
    if np.isscalar(number):
        return pd.Timestamp(np.datetime64(int(number), "M"))
    return pd.Series(np.asarray(number).astype("datetime64[M]").astype("datetime64[ns]"))


def latest_month(monthly: pd.DataFrame, what: str) -> int:
    return has_activity(None if monthly.empty else month_number(monthly["month"]).max(), what)


def has_activity(latest, what: str) -> int:
    """The latest month (a month_number), or one clear error when `what` has no rows at all."""
    if latest is None:
        raise NoActivity(f"{what} has no rows: there is no order history to compute features from.")
    return int(latest)


# The RFM scores, each of 1-5 from a value's percentile rank among the non-null values of the snapshot:
# {score: (the value, as SQL over the features, whether a higher value is better)}.
RFM = {
    "recency": ("recency_months", False),
    "frequency": ("nullif(orders, 0)", True),
    "monetary": ("case when orders > 0 then revenue end", True),
}


def percentile_ranks(score: str) -> str:
    """SQL, the CTE <score>_ranks: per distinct non-null value of the score's value, its percentile rank as
    pandas' rank(pct=True, method="average") gives it (ties share the average of their ranks: the values
    before them plus (ties + 1) / 2, over the non-null values). Ranked by distinct value, not by row: a
    handful of recency months or order counts instead of millions of customers."""
    value, higher_is_better = RFM[score]
    order = "" if higher_is_better else " desc"
    return f"""{score}_ranks as (
    select
        ranked_value,
        (sum(ties) over (order by ranked_value{order} rows unbounded preceding) - (ties - 1) / 2)
        / sum(ties) over () as percentile
    from (
        select {value} as ranked_value, count(*) as ties
        from features
        where {value} is not null
        group by ranked_value
    )
)"""


def score_1_to_5(score: str) -> tuple[str, str]:
    """SQL over the features: (the join of <score>_ranks, the score: ceil(5 * percentile rank)). Ties share a
    score, and it works on one row or on heavily skewed data, where quantile bins would collapse. A missing
    value scores 1."""
    value, _ = RFM[score]
    ranks = f"{score}_ranks"
    join = f"left join {ranks} on {value} = {ranks}.ranked_value"
    return join, f"coalesce(least(greatest(ceil({ranks}.percentile * 5), 1), 5), 1)"


# Each aggregate of a customer's months before the as-of month; {ago}: how many months before it (1 = the
# month before). Months from the as-of month on count only for the label (ordered_from_as_of).
HISTORY = {
    "recency_months": "min({ago}) filter (where {ago} >= 1)",
    "tenure_months": "max({ago}) filter (where {ago} >= 1)",
    "active_months": "count(*) filter (where {ago} >= 1)",
    "orders": "sum(orders) filter (where {ago} >= 1)",
    # Revenue in cents is exact as a DECIMAL: a sum of doubles depends on the order DuckDB's threads add them
    # in, and a last-bit difference can move a customer across an RFM rank.
    "revenue": "sum(revenue) filter (where {ago} >= 1)",
    "orders_last_3m": "sum(orders) filter (where {ago} between 1 and 3)",
    "orders_prev_3m": "sum(orders) filter (where {ago} between 4 and 6)",
    "revenue_last_3m": "sum(revenue) filter (where {ago} between 1 and 3)",
    "ordered_from_as_of": "count(*) filter (where {ago} <= 0) > 0",
}
# The snapshots: (their as-of month, how many months before it a month of activity is, which customers,
# the label). Training is as of the cutoff, for customers with an order before it, labelled; scoring as of
# the month after the latest, $window months later, for every customer.
SNAPSHOTS = {
    "training": ("$cutoff", "before_cutoff", "where history.training_orders > 0", "not ordered_from_as_of"),
    "scoring": ("$cutoff + $window", "before_cutoff + $window", "", "cast(null as boolean)"),
}
HISTORY_TABLE = "customer_history"  # a temporary table of the reading connection

# Per customer, the aggregates of both snapshots, in one pass over the monthly activity, in DuckDB: it reads
# the activity where it lies (in the read-only warehouse connection) and keeps one row per customer.
_HISTORY_OF_BOTH = ",\n        ".join(
    f"{aggregate.format(ago=f'({SNAPSHOTS[name][1]})')} as {name}_{column}"
    for name in SNAPSHOTS
    for column, aggregate in HISTORY.items()
)
CUSTOMER_HISTORY_SQL = f"""
create temp table {HISTORY_TABLE} as
with activity as (
    select
        customer_id,
        orders,
        cast(revenue as decimal(18, 2)) as revenue,
        $cutoff - {MONTH_NUMBER_SQL} as before_cutoff
    from {quoted(CUSTOMER_MONTHLY_ACTIVITY.name)}
)

select
    customer_id,
    {_HISTORY_OF_BOTH}
from activity
group by customer_id
"""


def snapshot_sql(name: str) -> str:
    """SQL: the feature rows of snapshot `name`, from the customers and their history."""
    as_of, _, where, label = SNAPSHOTS[name]
    history = ",\n        ".join(f"history.{name}_{column} as {column}" for column in HISTORY)
    scores = [score_1_to_5(score) for score in RFM]
    ranks = ",\n\n".join(percentile_ranks(score) for score in RFM)
    rank_joins = "\n    ".join(join for join, _ in scores)
    rfm_score = "\n            + ".join(score for _, score in scores)
    return f"""
with snapshot as (
    select
        customers.customer_id,
        customers.tier,
        {history}
    from {quoted(CUSTOMER_ORDER_SUMMARY.name)} as customers
    left join {HISTORY_TABLE} as history on customers.customer_id = history.customer_id
    {where}
),

features as (
    select
        customer_id,
        cast(recency_months as double) as recency_months,  -- null: no order before as_of
        cast(tenure_months as double) as tenure_months,
        coalesce(active_months, 0) as active_months,
        cast(coalesce(orders, 0) as bigint) as orders,
        cast(coalesce(revenue, 0) as double) as revenue,
        cast(coalesce(orders_last_3m, 0) as bigint) as orders_last_3m,
        cast(coalesce(orders_prev_3m, 0) as bigint) as orders_prev_3m,
        cast(coalesce(revenue_last_3m, 0) as double) as revenue_last_3m,
        coalesce(ordered_from_as_of, false) as ordered_from_as_of,
        cast(coalesce(tier = 'premium', false) as bigint) as is_premium
    from snapshot
),

{ranks},

scored as (
    select
        features.*,
        revenue / nullif(orders, 0) as avg_order_value,
        (orders_last_3m - orders_prev_3m) / (orders_prev_3m + 1) as order_trend,
        cast({rfm_score} as bigint) as rfm_score
    from features
    {rank_joins}
)

select
    customer_id,
    '{name}' as snapshot,
    cast(date '1970-01-01' + to_months({as_of}) as timestamp_s) as as_of,
    {", ".join(CUSTOMER_FEATURES)},
    {label} as {CHURN_LABEL},
    cast($window as bigint) as {CHURN_WINDOW}
from scored
order by customer_id  -- ml.duckdb replaces the table faster so (docs/daily-batches.md, "Measured")
"""


SNAPSHOT_SQL = {name: snapshot_sql(name) for name in SNAPSHOTS}


def customer_feature_snapshots(con: duckdb.DuckDBPyConnection, window_months: int) -> pa.Table:
    """Two point-in-time snapshots of the same features, told apart by `snapshot`, one row per customer of
    customer_order_summary in each (training: those with an order before the cutoff):

    - training: as of the cutoff (the first of the last `window_months` months of the data), for customers
      with orders before it, labelled `churned` = no order in those `window_months` months;
    - scoring: as of the month after the latest one, for every customer, unlabelled.

    Only the months before a snapshot's as-of month are used, so training cannot see what happened after the
    cutoff. The mart is monthly, so a window is whole calendar months. The training rows come first (see
    snapshot_rows), each snapshot's by customer_id. `con` exposes the public models by name
    (AnalyticsWarehouse.views, or registered frames in tests).

    In DuckDB, as Arrow: the activity is aggregated once for both snapshots, then each snapshot is a query of
    one row per customer (one statement of both held the aggregate's, the ranks' and the result's memory at
    once; docs/daily-batches.md, "Measured")."""
    monthly = quoted(CUSTOMER_MONTHLY_ACTIVITY.name)
    [(latest,)] = con.execute(f"select max({MONTH_NUMBER_SQL}) from {monthly}").fetchall()
    latest = has_activity(latest, CUSTOMER_MONTHLY_ACTIVITY.name)
    params = {"cutoff": latest - window_months + 1, "window": window_months}
    con.execute(CUSTOMER_HISTORY_SQL, params)
    try:
        return pa.concat_tables(con.sql(SNAPSHOT_SQL[name], params=params).to_arrow_table() for name in SNAPSHOTS)
    finally:
        con.execute(f"drop table {HISTORY_TABLE}")


def snapshot_rows(features: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(training rows, scoring rows) of customer_feature_snapshots' table: slices, not copies (a filter copied
    every column of millions of rows), since its training rows come first."""
    training = pc.sum(pc.equal(features["snapshot"], "training")).as_py() or 0
    return features.slice(0, training), features.slice(training)


def product_feature_panel(products: pd.DataFrame, monthly: pd.DataFrame) -> pa.Table:
    """One row per product and month: the features known at the end of `month`, and the units sold the
    month after (`next_month_units`, the target; null in the latest month, whose rows are scored).
    Months before a product's first sale are left out, except in the latest month, where every product
    of `products` gets a row (unsold ones with zeros) so every product gets a forecast.

    Built as Arrow columns, each kept only where the row is (never a whole product x month frame of every
    column): at 200,000 products over seven years the panel holds ~9 million rows, and pandas would hold
    several copies of it (docs/ml-at-scale.md)."""
    first = int(month_number(monthly["month"]).min()) if not monthly.empty else None
    latest = latest_month(monthly, "product_monthly_sales")
    n_months = latest - first + 1
    product_ids = products["product_id"].to_numpy()
    row = pd.Index(product_ids).get_indexer(monthly["product_id"])
    known = row >= 0  # sales of products missing from product_performance are ignored
    column = month_number(monthly["month"]) - first
    grid = (len(product_ids), n_months)
    cell = row[known] * n_months + column[known]

    def summed(values: pd.Series) -> np.ndarray:
        """The product x month grid of `values`, summed per cell (bincount: one pass, unlike np.add.at)."""
        weights = values.to_numpy(dtype="float64")[known]
        return np.bincount(cell, weights=weights, minlength=grid[0] * grid[1]).reshape(grid)

    units, orders = summed(monthly["units_sold"]), summed(monthly["orders"])

    def lag(matrix: np.ndarray, k: int) -> np.ndarray:
        """matrix[:, t - k], zero before the first month."""
        return np.pad(matrix, ((0, 0), (k, 0)))[:, :n_months]

    def trailing_mean(k: int) -> np.ndarray:
        cumulative = np.cumsum(np.pad(units, ((0, 0), (1, 0))), axis=1)
        return (cumulative[:, 1:] - lag(cumulative[:, 1:], k)) / k

    sold = units > 0
    first_sale = np.where(sold.any(axis=1), sold.argmax(axis=1), n_months)
    del sold
    months_on_sale = np.clip(np.arange(n_months)[None, :] - first_sale[:, None] + 1, 0, None)
    in_panel = months_on_sale > 0
    in_panel[:, -1] = True
    # The panel's rows as (product, month) cells of the grid, found once for every column.
    at_product, at_month = (index.astype(np.int32) for index in np.nonzero(in_panel))
    del in_panel
    target_month = first + np.arange(n_months) + 1

    def keep(values: np.ndarray) -> pa.Array:
        """One column of the product x month grid, at the panel's rows (NaN stored as null); a column that is
        the same in every month (or product) is broadcast, never copied to the whole grid."""
        return pa.array(np.broadcast_to(values, grid)[at_product, at_month], from_pandas=True)

    # Each grid is dropped once its columns are kept: at most two grids beside the columns built so far.
    columns = {
        "product_id": keep(product_ids[:, None]),
        "month": keep(month_start(first + np.arange(n_months)).to_numpy()[None, :]),
        "months_on_sale": keep(months_on_sale),
        "orders_lag1": keep(orders),
        "target_month_of_year": keep((target_month % 12 + 1)[None, :]),
        "retail_price": keep(products["retail_price"].to_numpy(dtype="float64")[:, None]),
    }
    del months_on_sale, orders
    columns |= {
        "units_lag1": keep(units),
        "units_lag2": keep(lag(units, 1)),
        "units_lag3": keep(lag(units, 2)),
        "units_mean_3m": keep(trailing_mean(3)),
        "units_mean_6m": keep(trailing_mean(6)),
        "units_lag12": keep(lag(units, 11)),
        # Next month's units; none yet in the latest month.
        DEMAND_TARGET: keep(np.pad(units[:, 1:], ((0, 0), (0, 1)), constant_values=np.nan)),
    }
    return pa.table(columns).select(["product_id", "month", *PRODUCT_FEATURES, DEMAND_TARGET])
