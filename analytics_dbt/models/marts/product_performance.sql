{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key='product_id',
    replaced_keys='affected_keys',
    on_schema_change='append_new_columns',
) }}
-- Incremental: a build recomputes the products of the affected orders and those whose catalogue row changed
-- (affected_keys), replacing their rows.
with changed_keys as (  -- noqa: ST03
    select product_id from {{ ref('affected_keys') }}
),

products as (
    select * from {{ ref('stg_products') }}
    {% if is_incremental() %}where product_id in (select changed_keys.product_id from changed_keys){% endif %}
),

order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if is_incremental() %}where product_id in (select changed_keys.product_id from changed_keys){% endif %}
),

-- An order may hold a product on several lines (with line numbers): it counts once among the orders
-- containing the product; units and revenue sum all its lines.
sales as (
    {{ orders_units_revenue('order_lines', ['product_id']) }}
),

totals as (
    select
        products.*,
        coalesce(sales.orders, 0) as orders,
        cast(coalesce(sales.units_sold, 0) as bigint) as units_sold,
        cast(coalesce(sales.revenue, 0) as double precision) as revenue,
        coalesce(sales.units_sold, 0) * products.cost as total_cost
    from products
    left join sales on products.product_id = sales.product_id
)

-- Revenue is an exact sum of cents; cost figures are rounded to cents last, so that profit and margin
-- come from the unrounded cost. Doubles throughout, rounded as DuckDB rounds them on both backends.
select
    product_id,
    product,
    category,
    supplier,
    cost,
    retail_price,
    orders,
    units_sold,
    revenue,
    {{ round_half_away("total_cost", 2) }} as total_cost,
    {{ round_half_away("revenue - total_cost", 2) }} as profit,
    {{ round_half_away("(revenue - total_cost) / nullif(revenue, 0) * 100", 2) }} as profit_margin
from totals
