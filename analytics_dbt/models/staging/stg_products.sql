with checked as (
    select * from {{ ref('checked_products') }}
    where reason is null
)

select
    product_id,
    product,
    category,
    supplier,
    cost,
    retail_price
from checked
