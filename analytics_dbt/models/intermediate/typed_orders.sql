{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
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

typed as (
    select
        {{ raw_line_batch() }} as batch,
        {{ typed_raw_columns('orders') }}
    from source
)

select
    batch,
    {%- for column in raw_columns('orders') %}
    {{ column.name }},
    {%- endfor %}
    {%- for column in raw_columns('orders') %}
    case
        when cast(raw_{{ column.name }} as varchar) is distinct from cast({{ column.name }} as varchar)
            then cast(raw_{{ column.name }} as varchar)
    end as raw_{{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
from typed
