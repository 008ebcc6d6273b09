-- The before image: the lines of the batches of order_batch_changes as typed_orders holds them before this
-- build replaces them (their order, customer, product and date: what affected_orders and affected_keys
-- recompute besides the lines landed now): the last complete build's version, or one an unfinished build
-- read since. And every line this table kept from builds since the last complete one: a version such a build
-- read may be in checked_orders or a mart still, though typed_orders has moved on.
{% set line_columns = ['batch', 'batch_fingerprint', 'order_id', 'customer_id', 'product_id', 'order_date'] %}
{% set no_lines = 'select batch, batch_fingerprint, cast(null as bigint) as order_id, '
    ~ 'cast(null as bigint) as customer_id, '
    ~ 'cast(null as bigint) as product_id, cast(null as date) as order_date, current_timestamp as computed_at from '
    ~ source('raw', 'orders') %}
with

changes as (
    select batch from {{ ref('order_batch_changes') }}
),

held as (
    select {{ qualified('typed_orders', line_columns) }} from {{ previous_build('typed_orders', no_lines) }}
    where typed_orders.batch in (select changes.batch from changes)
),

pending as (
    select {{ qualified('pending', line_columns) }}
    from {{ since_last_complete_build('replaced_order_lines', line_columns, no_lines) }}
),

before_image as (
    select * from held
    union
    select * from pending
)

select
    batch,
    batch_fingerprint,
    order_id,
    customer_id,
    product_id,
    order_date,
    current_timestamp as computed_at
from before_image
