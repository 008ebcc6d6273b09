-- Raw products rows that did not pass staging, exactly as received (as text), with the reason.
select
    {{ rejected_columns('products') }}
    file_line,
    line_text,
    reason
from {{ ref('checked_products') }}
where reason is not null
