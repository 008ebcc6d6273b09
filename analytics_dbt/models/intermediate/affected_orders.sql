-- The orders an incremental build re-checks (empty in a full build, which checks every order): those
-- with a line in a new, re-delivered or removed batch, before or after the change, and those with a
-- line whose customer or product became staged or stopped being staged. An order's lines are
-- re-checked together, from every batch: duplicates and the order's customer and date need all of them.
with

order_lines as (
    select * from {{ ref('typed_orders') }}
),

staged_customers as (  -- noqa: ST03
    select customer_id from {{ ref('stg_customers') }}
),

staged_products as (  -- noqa: ST03
    select product_id from {{ ref('stg_products') }}
)

{% if incremental_mode() %}
,

changed_batches as (
    select batch from {{ state_table('changed_batches') }}
),

replaced_lines as (
    select order_id from {{ state_table('replaced_order_lines') }}
),

customers_changed as (
    (select customer_id from staged_customers except select customer_id from {{ state_table('built_customers') }})
    union
    (select customer_id from {{ state_table('built_customers') }} except select customer_id from staged_customers)
),

products_changed as (
    (select product_id from staged_products except select product_id from {{ state_table('built_products') }})
    union
    (select product_id from {{ state_table('built_products') }} except select product_id from staged_products)
)

select order_id from order_lines
where batch in (select batch from changed_batches) and order_id is not null
union
select order_id from replaced_lines
where order_id is not null
union
select order_id from order_lines
where
    order_id is not null
    and (
        customer_id in (select customer_id from customers_changed)
        or product_id in (select product_id from products_changed)
    )
{% else %}
    select order_id from order_lines
    where false
{% endif %}
