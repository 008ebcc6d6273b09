with checked as (
    select * from {{ ref('checked_orders') }}
    where reason is null
)

select
    order_id,
    customer_id,
    product_id,
    order_date,
    quantity,
    price,
    quantity * price as amount
from checked
