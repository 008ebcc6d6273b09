-- Every raw order row, typed, with the reason it is rejected (null when it is staged). An order must
-- point at a staged customer and product, so a customer rejected upstream takes its orders with it.
with source as (
    select * from {{ source('raw', 'orders') }}
),

typed as (
    select {{ typed_raw_columns('orders') }}
    from source
),

customers as (
    select customer_id as known_customer_id from {{ ref('stg_customers') }}
),

products as (
    select product_id as known_product_id from {{ ref('stg_products') }}
),

duplicated_keys as (
    {{ duplicated_keys('typed', 'order_id') }}
),

-- Not materialized: its readers below recompute it, rather than hold all the rows in memory at once.
row_problems as not materialized (
    select
        typed.*,
        duplicated_keys.duplicated_key,
        {{ problems(cast_checks('orders') + [
            ("raw_order_id is null", "order_id is null"),
            ("raw_customer_id is null", "customer_id is null"),
            ("customer_id is not null and known_customer_id is null",
                "unknown customer_id: not among the staged customers"),
            ("raw_product_id is null", "product_id is null"),
            ("product_id is not null and known_product_id is null",
                "unknown product_id: not among the staged products"),
            ("raw_quantity is null", "quantity is null"),
            ("quantity <= 0", "quantity is not positive"),
            ("raw_price is null", "price is null"),
            ("price < 0", "price is negative"),
            ("raw_order_date is null", "order_date is null"),
        ]) }} as problems
    from typed
    left join customers on typed.customer_id = customers.known_customer_id
    left join products on typed.product_id = products.known_product_id
    left join duplicated_keys on typed.order_id = duplicated_keys.duplicated_key
)

select * from (
    {{ keep_one_per_key('orders', 'row_problems', 'order_id', 'order_date, customer_id, product_id, quantity, price',
        'duplicate order_id: another row with this order_id was kept') }}
)
