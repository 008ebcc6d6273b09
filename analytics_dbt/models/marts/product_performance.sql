with products as (
    select * from {{ ref('stg_products') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

sales as (
    select
        product_id,
        count(distinct order_id) as orders,
        sum(quantity) as units_sold,
        sum(amount) as revenue
    from orders
    group by product_id
),

totals as (
    select
        products.*,
        coalesce(sales.orders, 0) as orders,
        cast(coalesce(sales.units_sold, 0) as bigint) as units_sold,
        coalesce(sales.revenue, 0) as revenue,
        coalesce(sales.units_sold, 0) * products.cost as total_cost
    from products
    left join sales on products.product_id = sales.product_id
)

-- Revenue is an exact sum of cents; cost figures are rounded to cents last, so that profit and margin
-- come from the unrounded cost.
select
    product_id,
    product,
    category,
    supplier,
    cost,
    retail_price,
    orders,
    units_sold,
    cast(revenue as double) as revenue,
    round(total_cost, 2) as total_cost,
    round(revenue - total_cost, 2) as profit,
    round((revenue - total_cost) / nullif(revenue, 0) * 100, 2) as profit_margin
from totals
