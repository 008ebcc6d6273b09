-- The ledger of the last complete build: the customers it staged, with the columns the marts show. The next
-- build re-checks the orders of a customer staged or no longer staged since (affected_orders) and recomputes
-- the customers whose row changed (affected_keys); macros/incremental_batches.sql.
-- Built after every mart, and so only when all of them and the tests before them passed; and moved on only in
-- a build of every model it depends on (macros/incremental_batches.sql ledger):
-- depends_on: {{ ref('checked_orders') }}
-- depends_on: {{ ref('customer_order_summary') }}
-- depends_on: {{ ref('customer_monthly_activity') }}
-- depends_on: {{ ref('product_performance') }}
-- depends_on: {{ ref('product_monthly_sales') }}
{% call ledger() %}
select
    customer_id,
    name,
    tier,
    current_timestamp as built_at
from {{ ref('stg_customers') }}
{% endcall %}
