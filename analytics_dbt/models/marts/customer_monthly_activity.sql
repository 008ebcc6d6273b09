with orders as (
    select * from {{ ref('stg_orders') }}
)

select
    customer_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(distinct order_id) as orders,
    cast(sum(amount) as double) as revenue
from orders
group by all
