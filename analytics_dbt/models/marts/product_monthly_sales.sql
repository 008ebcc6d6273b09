{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    meta={'rebuilt_keys': {'key': ['product_id', 'month']}},
    pre_hook="{{ delete_rebuilt_mart_rows() }}",
) }}
-- depends_on: {{ ref('affected_keys') }}
-- Incremental: a build recomputes the (product_id, month) pairs of the affected orders' lines, before
-- and after the change (rebuilt_keys); the pre-hook first stores them and deletes their rows.
{% set rebuilt = mart_rebuilt_keys() if incremental_build() else none %}
with order_lines as (
    select * from {{ ref('stg_orders') }}
    {% if rebuilt -%}
        where
            order_date >= {{ rebuilt_months_start() }}
            and (product_id, cast(date_trunc('month', order_date) as date)) in ({{ rebuilt }})
    {%- endif %}
)

-- An order has at most one line per product (stg_orders is unique on order_id, product_id), so a
-- product's lines are the orders containing it.
select
    product_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(*) as orders,
    cast(sum(quantity) as bigint) as units_sold,
    cast(sum(amount) as double precision) as revenue
from order_lines
group by product_id, month
