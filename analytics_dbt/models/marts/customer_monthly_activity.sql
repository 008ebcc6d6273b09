with order_lines as (
    select * from {{ ref('stg_orders') }}
),

-- One row per order: its lines share the order's customer and date (checked_orders), and its value is
-- the sum of theirs.
orders as (
    select
        order_id,
        customer_id,
        order_date,
        sum(amount) as order_value
    from order_lines
    group by order_id, customer_id, order_date
)

select
    customer_id,
    cast(date_trunc('month', order_date) as date) as month,
    count(*) as orders,
    cast(sum(order_value) as double precision) as revenue
from orders
group by customer_id, month
