-- The orders an incremental build re-checks: those with a line in a batch of order_batch_changes, as
-- landed now (typed_orders) or as the last complete build had it (replaced_order_lines), and those with a
-- line whose customer or product became staged or stopped being staged since that build. An order's lines
-- are re-checked together, from every batch: duplicates and the order's customer and date need all of them.
-- A null order_id stands for the lines without one, re-checked whenever a changed batch has such a line.
-- With them, the orders builds since the last complete one re-checked (an unfinished build's changes may be
-- in checked_orders already). Empty when checked_orders is built whole (on --full-refresh, or the first time).
with

order_lines as (
    select
        batch,
        order_id,
        customer_id,
        product_id
    from {{ ref('typed_orders') }}
),

changes as (
    select batch from {{ ref('order_batch_changes') }}
),

replaced_lines as (
    select order_id from {{ ref('replaced_order_lines') }}
),

staged_customers as (
    select customer_id from {{ ref('stg_customers') }}
),

built_customers as (
    select built_customers.customer_id
    from {{ previous_build('built_customers', 'select customer_id from ' ~ ref('stg_customers')) }}
),

staged_products as (
    select product_id from {{ ref('stg_products') }}
),

built_products as (
    select built_products.product_id
    from {{ previous_build('built_products', 'select product_id from ' ~ ref('stg_products')) }}
),

customers_changed as (
    (
        select customer_id from staged_customers
        except
        select customer_id from built_customers
    )
    union
    (
        select customer_id from built_customers
        except
        select customer_id from staged_customers
    )
),

products_changed as (
    (
        select product_id from staged_products
        except
        select product_id from built_products
    )
    union
    (
        select product_id from built_products
        except
        select product_id from staged_products
    )
),

pending as (
    select pending.order_id
    from {{ since_last_complete_build(
        'affected_orders', ['order_id'], 'select order_id, current_timestamp as computed_at from '
        ~ ref('replaced_order_lines')
    ) }}
),

affected as (
    select order_lines.order_id
    from order_lines
    where
        order_lines.batch in (select changes.batch from changes)
        or order_lines.customer_id in (select customers_changed.customer_id from customers_changed)
        or order_lines.product_id in (select products_changed.product_id from products_changed)
    union
    select replaced_lines.order_id from replaced_lines
    union
    select pending.order_id from pending
)

select
    order_id,
    current_timestamp as computed_at
from affected
where {{ replaces_incrementally() }}
