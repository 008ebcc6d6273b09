{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key='batch',
    replaced_keys='order_batch_changes',
) }}
-- Every raw order line of every landed batch, cast to the contract types, with the batch (file) it came in
-- and that file's fingerprint. Incremental: the batches of order_batch_changes are replaced, read from their
-- files (a removed batch's lines go). A value as received is kept only where its text differs from the cast
-- value's (a CSV ' 7', a '2.5' quantity, 'abc'): elsewhere the cast value is what was received.
-- has_line_number: whether the line's file has the optional column line_number (raw.orders says so).
-- Built after replaced_order_lines, which keeps the lines of the changed batches as they were here:
-- depends_on: {{ ref('replaced_order_lines') }}
with

changes as (  -- noqa: ST03
    select batch from {{ ref('order_batch_changes') }}
),

source as (
    select * from {{ source('raw', 'orders') }}
    {% if is_incremental() -%}
        where batch in (select changes.batch from changes)
    {%- endif %}
),

-- Each typed value is read twice below (as itself, and to compare with its text): reused_cte() says
-- whether it is cast once and stored (PostgreSQL) or recomputed (DuckDB).
typed as {{ reused_cte() }} (
    select
        batch,
        batch_fingerprint,
        {{ typed_raw_columns('orders') }},
        has_line_number,
        file_line,
        line_text,
        read_problem
    from source
)

select
    batch,
    batch_fingerprint,
    order_id,
    customer_id,
    product_id,
    quantity,
    price,
    order_date,
    line_number,
    has_line_number,
    nullif(cast(raw_order_id as varchar), cast(order_id as varchar)) as raw_order_id,
    nullif(cast(raw_customer_id as varchar), cast(customer_id as varchar)) as raw_customer_id,
    nullif(cast(raw_product_id as varchar), cast(product_id as varchar)) as raw_product_id,
    nullif(cast(raw_quantity as varchar), cast(quantity as varchar)) as raw_quantity,
    nullif(cast(raw_price as varchar), cast(price as varchar)) as raw_price,
    nullif(cast(raw_order_date as varchar), cast(order_date as varchar)) as raw_order_date,
    nullif(cast(raw_line_number as varchar), cast(line_number as varchar)) as raw_line_number,
    file_line,
    line_text,
    read_problem
from typed
