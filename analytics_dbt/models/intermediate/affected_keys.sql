-- The marts' keys an incremental build recomputes (empty in a full build, which computes them all): the
-- customer, product and month of every line of an affected order, as the order is now (checked_orders)
-- and as the lines of the changed batches were before this build. Rows of a line whose values did not
-- cast are left out with their null key parts.
with

checked as (
    select * from {{ ref('checked_orders') }}
),

affected_orders as (
    select order_id from {{ ref('affected_orders') }}
),

lines as (
    select
        checked.customer_id,
        checked.product_id,
        checked.order_date
    from checked
    where checked.order_id in (select affected_orders.order_id from affected_orders)
    {% if incremental_mode() -%}
        union all
        select
            customer_id,
            product_id,
            order_date
        from {{ state_table('replaced_order_lines') }}
    {%- endif %}
)

select distinct
    customer_id,
    product_id,
    cast(date_trunc('month', order_date) as date) as month
from lines
