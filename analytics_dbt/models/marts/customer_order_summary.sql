{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    meta={'rebuilt_keys': {'key': 'customer_id', 'dimension': 'stg_customers', 'columns': ['customer_id', 'name', 'tier']}},
    pre_hook="{{ delete_rebuilt_mart_rows() }}",
) }}
-- depends_on: {{ ref('affected_keys') }}
-- Incremental: a build recomputes the customers of the affected orders and those whose name or tier
-- changed (rebuilt_keys); the pre-hook first stores them and deletes their rows.
{% set rebuilt = mart_rebuilt_keys() if incremental_build() else none %}
with customers as (
    select * from {{ ref('stg_customers') }}
    {% if rebuilt %}where customer_id in ({{ rebuilt }}){% endif %}
),

order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if rebuilt %}where customer_id in ({{ rebuilt }}){% endif %}
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
