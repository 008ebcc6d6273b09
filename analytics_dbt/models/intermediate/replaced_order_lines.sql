-- The before image: the lines of the batches of order_batch_changes as the last complete build had them
-- (their order, customer, product and date: what affected_orders and affected_keys recompute besides the
-- lines landed now). Read from typed_orders as the last build left it, before this build replaces them;
-- after an unfinished build that already did, from this table as that build left it.
{% set line_columns = 'batch, batch_fingerprint, order_id, customer_id, product_id, order_date' %}
{% set no_lines = 'select batch, batch_fingerprint, cast(null as bigint) as order_id, cast(null as bigint) as customer_id, '
    ~ 'cast(null as bigint) as product_id, cast(null as date) as order_date from ' ~ source('raw', 'orders') %}
with

changes as (
    select
        batch,
        built_fingerprint
    from {{ ref('order_batch_changes') }}
    where built_fingerprint is not null
),

held as (
    select {{ line_columns }} from {{ previous_build('typed_orders', no_lines) }}
),

kept as (
    select {{ line_columns }} from {{ previous_build('replaced_order_lines', no_lines) }}
),

before_image as (
    select held.*
    from held
    inner join changes on held.batch = changes.batch and held.batch_fingerprint = changes.built_fingerprint
    union all
    select kept.*
    from kept
    inner join changes on kept.batch = changes.batch and kept.batch_fingerprint = changes.built_fingerprint
)

select distinct
    batch,
    batch_fingerprint,
    order_id,
    customer_id,
    product_id,
    order_date
from before_image
