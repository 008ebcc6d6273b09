-- Raw customers rows that did not pass staging, exactly as received (as text), with the reason.
select
    {{ rejected_columns('customers') }}
    file_line,
    line_text,
    reason
from {{ ref('checked_customers') }}
where reason is not null
