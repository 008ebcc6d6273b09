{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_rebuilt_rows('batch in (select batch from ' ~ state_table('changed_batches') ~ ')') }}",
) }}
-- Every raw order line of every batch, cast to the contract types, with the batch (file) it came in.
-- Only the batches that are new, re-delivered or removed since the last build are read: this is the
-- warehouse's copy of the landing folder, so checked_orders can re-check an order's lines from every
-- batch without reading the files again. A value as received is kept only where its text differs from
-- the cast value's (a CSV ' 7', a '2.5' quantity, 'abc'): elsewhere the cast value is what was received.
with

source as (
    select * from {{ source('raw', 'orders') }}
    {% if incremental_build() -%}
        where batch in ({{ changed_batch_names() }})
    {%- endif %}
),

-- Each typed value is read twice below (as itself, and to compare with its text): reused_cte() says
-- whether it is cast once and stored (PostgreSQL) or recomputed (DuckDB).
typed as {{ reused_cte() }} (
    select
        {{ raw_line_batch() }} as batch,
        {{ typed_raw_columns('orders') }}
    from source
)

select
    batch,
    order_id,
    customer_id,
    product_id,
    quantity,
    price,
    order_date,
    nullif(cast(raw_order_id as varchar), cast(order_id as varchar)) as raw_order_id,
    nullif(cast(raw_customer_id as varchar), cast(customer_id as varchar)) as raw_customer_id,
    nullif(cast(raw_product_id as varchar), cast(product_id as varchar)) as raw_product_id,
    nullif(cast(raw_quantity as varchar), cast(quantity as varchar)) as raw_quantity,
    nullif(cast(raw_price as varchar), cast(price as varchar)) as raw_price,
    nullif(cast(raw_order_date as varchar), cast(order_date as varchar)) as raw_order_date
from typed
