-- Raw orders rows that did not pass staging, exactly as received (as text), with the reason.
select
    {{ rejected_columns('orders') }}
    reason
from {{ ref('checked_orders') }}
where reason is not null
