{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['product_id', 'month'],
    replaced_keys='affected_keys',
    on_schema_change='append_new_columns',
) }}
-- Incremental: a build recomputes the (product_id, month) pairs of the affected orders' lines, before and
-- after the change (affected_keys), replacing their rows.
with changed_keys as (  -- noqa: ST03
    select
        product_id,
        month
    from {{ ref('affected_keys') }}
),

order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if is_incremental() -%}
        -- The first month is a bound DuckDB checks against each row group's min and max order_date, skipping
        -- older lines (checked_orders is written batch by batch, so its row groups follow the dates).
        where
            order_date >= (select min(changed_keys.month) from changed_keys)
            and (product_id, cast(date_trunc('month', order_date) as date)) in (
                select product_id, month from changed_keys where product_id is not null and month is not null
            )
    {%- endif %}
),

monthly_lines as (
    select
        product_id,
        order_id,
        line_number,
        quantity,
        amount,
        cast(date_trunc('month', order_date) as date) as month
    from order_lines
),

-- An order may hold a product on several lines (with line numbers): it counts once among the orders
-- containing the product; units and revenue sum all its lines.
sales as (
    {{ orders_units_revenue('monthly_lines', ['product_id', 'month']) }}
)

select
    product_id,
    month,
    orders,
    cast(units_sold as bigint) as units_sold,
    cast(revenue as double precision) as revenue
from sales
