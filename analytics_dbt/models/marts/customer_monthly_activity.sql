{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    meta={'rebuilt_keys': {'key': ['customer_id', 'month']}},
    pre_hook="{{ delete_rebuilt_mart_rows() }}",
) }}
-- depends_on: {{ ref('affected_keys') }}
-- Incremental: a build recomputes the (customer_id, month) pairs of the affected orders' lines, before
-- and after the change (rebuilt_keys); the pre-hook first stores them and deletes their rows.
{% set rebuilt = mart_rebuilt_keys() if incremental_build() else none %}
with order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if rebuilt -%}
        where
            order_date >= {{ rebuilt_months_start() }}
            and (customer_id, cast(date_trunc('month', order_date) as date)) in ({{ rebuilt }})
    {%- endif %}
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
)

select
    customer_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(*) as orders,
    cast(sum(order_value) as double precision) as revenue
from orders
group by customer_id, month
