-- The ledger of the last complete build: the order batches it built, with their fingerprints. The next
-- build replaces the batches whose fingerprint differs (order_batch_changes); macros/incremental_batches.sql.
-- Built after every mart, and so only when all of them and the tests before them passed:
-- depends_on: {{ ref('customer_order_summary') }}
-- depends_on: {{ ref('customer_monthly_activity') }}
-- depends_on: {{ ref('product_performance') }}
-- depends_on: {{ ref('product_monthly_sales') }}
{% call ledger() %}
select distinct
    batch,
    batch_fingerprint as fingerprint
from {{ source('raw', 'orders') }}
{% endcall %}
