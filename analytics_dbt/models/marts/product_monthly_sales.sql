with orders as (
    select * from {{ ref('stg_orders') }}
)

select
    product_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(distinct order_id) as orders,
    cast(sum(quantity) as bigint) as units_sold,
    cast(sum(amount) as double) as revenue
from orders
group by all
