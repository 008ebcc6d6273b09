{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['customer_id', 'month'],
    replaced_keys='affected_keys',
    on_schema_change='append_new_columns',
) }}
-- Incremental: a build recomputes the (customer_id, month) pairs of the affected orders' lines, before and
-- after the change (affected_keys), replacing their rows.
with changed_keys as (  -- noqa: ST03
    select
        customer_id,
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
            and (customer_id, cast(date_trunc('month', order_date) as date)) in (
                select customer_id, month from changed_keys where customer_id is not null and month is not null
            )
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
