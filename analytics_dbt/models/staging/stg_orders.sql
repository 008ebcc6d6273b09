with checked as (
    select * from {{ ref('checked_orders') }}
    where reason is null
)

select
    order_id,
    customer_id,
    product_id,
    line_number,
    order_date,
    quantity,
    price,
    -- The order line's value in cents, as an invoice rounds it. As a DECIMAL it sums exactly: a sum of
    -- doubles depends on the order threads add them in, and would make the marts differ run to run.
    cast(quantity * price as decimal(18, 2)) as amount
from checked
