"""`floor`: the same work as the baseline -- the two marts and the two feature tables, with the original
design's logic -- as plain DuckDB SQL in one process: no dbt, no Dagster, no validation. What the data
work itself costs on this machine; our pipeline's figures are read against it.

    python -m bench.floor <raw dir> <database file>
"""

import sys
from pathlib import Path

import duckdb

from bench.landing import orders_files

# A row is an order line: orders are counted once (distinct order_id), money is summed over lines.
MARTS = """
create or replace table customer_order_summary as
select
    o.customer_id,
    count(distinct o.order_id) as total_orders,
    round(sum(o.quantity * o.price), 2) as total_spent,
    round(sum(o.quantity * o.price) / count(distinct o.order_id), 2) as avg_order_value,
    min(o.order_date) as first_order,
    max(o.order_date) as last_order,
    any_value(c.name) as name,
    any_value(c.tier) as tier
from read_parquet({orders}) o
left join read_parquet('{raw}/customers.parquet') c on o.customer_id = c.customer_id
where o.customer_id is not null
group by o.customer_id;

create or replace table product_performance as
with stats as (
    select product_id, count(distinct order_id) as orders, sum(quantity) as units_sold, sum(quantity * price) as revenue
    from read_parquet({orders})
    group by product_id
)
select stats.*, p.* exclude (product_id),
    units_sold * p.cost as total_cost,
    revenue - units_sold * p.cost as profit,
    round((revenue - units_sold * p.cost) / revenue * 100, 2) as profit_margin
from stats left join read_parquet('{raw}/products.parquet') p using (product_id);
"""

# pd.cut(bins=3): three equal-width bins between the minimum and the maximum.
FEATURES = """
create or replace table customer_features as
with dated as (
    select *,
        date_diff('day', last_order, max(last_order) over ()) as days_since_last_order,
        date_diff('day', first_order, max(last_order) over ()) as days_since_first_order
    from customer_order_summary
),
bounds as (
    select min(days_since_last_order) as r0, max(days_since_last_order) as r1,
        min(total_orders) as f0, max(total_orders) as f1, min(total_spent) as m0, max(total_spent) as m1
    from dated
)
select customer_id, total_orders, total_spent, avg_order_value, days_since_last_order, days_since_first_order,
    total_orders / (days_since_first_order + 1) * 30 as order_frequency,
    (tier = 'premium')::int as is_premium,
    4 - least(3, floor((days_since_last_order - r0) / nullif(r1 - r0, 0) * 3) + 1)::int as recency_score,
    least(3, floor((total_orders - f0) / nullif(f1 - f0, 0) * 3) + 1)::int as frequency_score,
    least(3, floor((total_spent - m0) / nullif(m1 - m0, 0) * 3) + 1)::int as monetary_score
from dated, bounds;

create or replace table product_features as
with ranked as (
    select *,
        revenue / orders as revenue_per_order,
        units_sold / orders as units_per_order,
        (rank() over (order by revenue) + (count(*) over (partition by revenue) - 1) / 2) / count(*) over ()
            as revenue_percentile,
        (rank() over (order by profit) + (count(*) over (partition by profit) - 1) / 2) / count(*) over ()
            as profit_percentile,
        (rank() over (order by units_sold) + (count(*) over (partition by units_sold) - 1) / 2) / count(*) over ()
            as units_sold_percentile
    from product_performance
),
categories as (
    pivot (select product_id, 'category_' || category as category from product_performance)
    on category using count(*) group by product_id
)
select ranked.*, categories.* exclude (product_id),
    case when revenue_percentile >= 0.8 and profit_percentile >= 0.8 then 'high_performer'
         when revenue_percentile >= 0.5 and profit_percentile >= 0.5 then 'medium_performer'
         else 'low_performer' end as performance_tier
from ranked left join categories using (product_id);
"""


def main(raw: Path, database: Path) -> None:
    with duckdb.connect(str(database)) as con:
        print("@stage marts", flush=True)
        orders = "[" + ", ".join(f"'{path}'" for path in orders_files(raw)) + "]"
        con.execute(MARTS.format(raw=raw, orders=orders))
        print("@stage features", flush=True)
        con.execute(FEATURES)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
