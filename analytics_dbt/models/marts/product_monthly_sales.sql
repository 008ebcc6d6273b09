with order_lines as (
    select * from {{ ref('stg_orders') }}
)

-- An order has at most one line per product (stg_orders is unique on order_id, product_id), so a
-- product's lines are the orders containing it.
select
    product_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(*) as orders,
    cast(sum(quantity) as bigint) as units_sold,
    cast(sum(amount) as double precision) as revenue
from order_lines
group by product_id, month
