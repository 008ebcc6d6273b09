with checked as (
    select * from {{ ref('checked_customers') }}
    where reason is null
)

select
    customer_id,
    name,
    email,
    signup_date,
    tier
from checked
