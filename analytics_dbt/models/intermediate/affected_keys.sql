-- The keys of the marts an incremental build recomputes: the customer, product and month of every line of
-- an affected order, as landed now (typed_orders) and as the last complete build had it (replaced_order_lines),
-- and the customers and products whose row, as the marts show it, changed since that build (their
-- product_id or customer_id alone). With them, the keys builds since the last complete one recomputed (an
-- unfinished build's may be in a mart already). Each mart replaces the rows of its own key columns among
-- these. Empty when they are built whole (on --full-refresh, or the first time).
with

order_lines as (
    select
        order_id,
        customer_id,
        product_id,
        order_date
    from {{ ref('typed_orders') }}
    union all
    select
        order_id,
        customer_id,
        product_id,
        order_date
    from {{ ref('replaced_order_lines') }}
),

affected_orders as (
    select order_id from {{ ref('affected_orders') }}
),

customers as (
    select
        customer_id,
        name,
        tier
    from {{ ref('stg_customers') }}
),

built_customers as (
    select
        built_customers.customer_id,
        built_customers.name,
        built_customers.tier
    from {{ previous_build('built_customers', 'select customer_id, name, tier from ' ~ ref('stg_customers')) }}
),

products as (
    select
        product_id,
        product,
        category,
        supplier,
        cost,
        retail_price
    from {{ ref('stg_products') }}
),

built_products as (
    select
        built_products.product_id,
        built_products.product,
        built_products.category,
        built_products.supplier,
        built_products.cost,
        built_products.retail_price
    from {{ previous_build('built_products', 'select * from ' ~ ref('stg_products')) }}
),

customers_changed as (
    select customer_id from (
        (
            select * from customers
            except
            select * from built_customers
        )
        union all
        (
            select * from built_customers
            except
            select * from customers
        )
    ) as changed_rows
),

products_changed as (
    select product_id from (
        (
            select * from products
            except
            select * from built_products
        )
        union all
        (
            select * from built_products
            except
            select * from products
        )
    ) as changed_rows
),

pending as (
    select
        pending.customer_id,
        pending.product_id,
        pending.month
    from {{ since_last_complete_build(
        'affected_keys', ['customer_id', 'product_id', 'month'],
        'select customer_id, product_id, order_date as month, current_timestamp as computed_at from '
        ~ ref('replaced_order_lines')
    ) }}
),

line_keys as (
    select distinct
        order_lines.customer_id,
        order_lines.product_id,
        cast(date_trunc('month', order_lines.order_date) as date) as month
    from order_lines
    where
        order_lines.order_id in (select affected_orders.order_id from affected_orders)
        and order_lines.customer_id is not null and order_lines.product_id is not null
),

keys as (
    select
        customer_id,
        product_id,
        month
    from line_keys
    union all
    select distinct
        customer_id,
        cast(null as bigint) as product_id,
        cast(null as date) as month
    from customers_changed
    union all
    select distinct
        cast(null as bigint) as customer_id,
        product_id,
        cast(null as date) as month
    from products_changed
    union all
    select
        customer_id,
        product_id,
        month
    from pending
)

select distinct
    customer_id,
    product_id,
    month,
    current_timestamp as computed_at
from keys
where {{ replaces_incrementally() }}
