-- Raw orders rows that did not pass staging, exactly as received (as text), with the reason and the
-- batch file they came in.
select
    {{ rejected_columns('orders') }}
    batch,
    file_line,
    line_text,
    reason
from {{ ref('checked_orders') }}
where reason is not null
