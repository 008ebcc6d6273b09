-- The ledger of the last complete build: the order batches it built, with their fingerprints. The next
-- build replaces the batches whose fingerprint differs (order_batch_changes); macros/incremental_batches.sql.
-- Built after every mart, and so only when all of them and the tests before them passed; and moved on only in
-- a build of every model it depends on (macros/incremental_batches.sql ledger):
-- depends_on: {{ ref('typed_orders') }}
-- depends_on: {{ ref('checked_orders') }}
-- depends_on: {{ ref('customer_order_summary') }}
-- depends_on: {{ ref('customer_monthly_activity') }}
-- depends_on: {{ ref('product_performance') }}
-- depends_on: {{ ref('product_monthly_sales') }}
{% call ledger() %}
-- The last complete build's batches, updated by what this build replaced (order_batch_changes, read at its
-- start): a batch that lands while the build runs is not one it built.
select
    built_order_batches.batch,
    built_order_batches.fingerprint,
    current_timestamp as built_at
from {{ previous_build('built_order_batches', 'select batch, landed_fingerprint as fingerprint from ' ~ ref('order_batch_changes')) }}
where built_order_batches.batch not in (select changes.batch from {{ ref('order_batch_changes') }} as changes)
union all
select
    batch,
    landed_fingerprint as fingerprint,
    current_timestamp as built_at
from {{ ref('order_batch_changes') }}
where landed_fingerprint is not null
{% endcall %}
