{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key='customer_id',
    replaced_keys='affected_keys',
    on_schema_change='append_new_columns',
) }}
-- Incremental: a build recomputes the customers of the affected orders and those whose name or tier changed
-- (affected_keys), replacing their rows.
with changed_keys as (  -- noqa: ST03
    select customer_id from {{ ref('affected_keys') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
    {% if is_incremental() %}where customer_id in (select changed_keys.customer_id from changed_keys){% endif %}
),

order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if is_incremental() %}where customer_id in (select changed_keys.customer_id from changed_keys){% endif %}
),

-- One row per order: its lines share the order's customer and date (checked_orders), and its value is
-- the sum of theirs.
orders as (
    select
        order_id,
        customer_id,
        order_date,
        sum(amount) as order_value
    from order_lines
    group by order_id, customer_id, order_date
),

order_totals as (
    select
        customer_id,
        count(*) as total_orders,
        sum(order_value) as total_spent,
        min(order_date) as first_order,
        max(order_date) as last_order
    from orders
    group by customer_id
)

select
    customers.customer_id,
    customers.name,
    customers.tier,
    coalesce(order_totals.total_orders, 0) as total_orders,
    cast(coalesce(order_totals.total_spent, 0) as double precision) as total_spent,
    -- Divided in doubles and rounded as DuckDB rounds a double, on both backends: PostgreSQL would divide
    -- the DECIMAL exactly and round 95.845 up, where the double 95.84499.. rounds down.
    {{ round_half_away(
        "cast(order_totals.total_spent as double precision) / order_totals.total_orders", 2
    ) }} as avg_order_value,
    order_totals.first_order,
    order_totals.last_order
from customers
left join order_totals on customers.customer_id = order_totals.customer_id
