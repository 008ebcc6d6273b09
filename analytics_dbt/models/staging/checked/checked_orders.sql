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

row_problems as (
    select
        typed.*,
        nullif(concat_ws('; ',
            {{ cast_failures('orders') }}
            case when raw_order_id is null then 'order_id is null' end,
            case when raw_customer_id is null then 'customer_id is null' end,
            case when customer_id is not null and known_customer_id is null
                then 'unknown customer_id: not among the staged customers' end,
            case when raw_product_id is null then 'product_id is null' end,
            case when product_id is not null and known_product_id is null
                then 'unknown product_id: not among the staged products' end,
            case when raw_quantity is null then 'quantity is null' end,
            case when quantity <= 0 then 'quantity is not positive' end,
            case when raw_price is null then 'price is null' end,
            case when price < 0 then 'price is negative' end,
            case when raw_order_date is null then 'order_date is null' end
        ), '') as problems
    from typed
    left join customers on typed.customer_id = customers.known_customer_id
    left join products on typed.product_id = products.known_product_id
)

select * from (
    {{ keep_one_per_key('row_problems', 'order_id', 'order_date, customer_id, product_id, quantity, price',
        'duplicate order_id: another row with this order_id was kept') }}
)
