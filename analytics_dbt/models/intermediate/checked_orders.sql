-- Every raw order line, typed, with the reason it is rejected (null when it is staged). A line is
-- identified by its line key (order_line_key(): (order_id, line_number) when its file has the optional
-- column line_number, else (order_id, product_id)); all lines of an order share its customer_id and order_date.
-- A line is rejected, in this order of checks:
--   1. for a problem of its own (line_checks): a value that does not cast, a missing value (line_number
--      only in a file that has the column), a customer or product that is not staged (a customer
--      rejected upstream takes its orders with it), quantity <= 0, price < 0;
--   2. as a duplicate: another valid line has the same line key; the copy kept is the first by batch
--      (file name), order_date, customer_id, quantity, price;
--   3. when its customer_id or order_date differs from its order's. An order's customer and date are
--      the pair most of its valid lines carry; on a tie, the pair of its line with the lowest line key
--      (the lowest line_number; without line numbers, the lowest product_id).
-- Steps 2 and 3 only look at the lines of contested orders (few); every other line streams through.
-- Lines come from every batch (typed_orders): the copy kept of a duplicate is the one of the earliest
-- batch (by file name), and an order's customer and date are voted by its lines from all batches.
-- Incremental: a build re-checks only the affected orders (all their lines, and the lines without an
-- order_id when a changed batch has one), replacing what they had.
{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key='order_id',
    replaced_keys='affected_orders',
) }}
{#- A tie of the vote goes to the pair of the order's lowest line key. -#}
{%- set lowest_line_key = [] %}
{%- for part in order_line_key() %}{% do lowest_line_key.append("min(" ~ part ~ ") nulls last") %}{% endfor %}
{#- The reasons of steps 2 and 3 name the line's key: line_number when its file has line numbers, else
    product_id. -#}
{%- set keyed_by = [("product_id", "contested_lines.line_number is null"),
    ("line_number", "contested_lines.line_number is not null")] %}
{%- set differs = [] %}
{%- for column, what in [("customer_id", "customer"), ("order_date", "date")] %}
    {%- for key, keyed in keyed_by %}
        {%- do differs.append((
            keyed ~ " and contested_lines." ~ column ~ " != order_headers.order_" ~ column,
            column ~ " differs from its order: the order has the " ~ what
                ~ " of most of its lines (on a tie, of its lowest " ~ key ~ ")",
        )) %}
    {%- endfor %}
{%- endfor %}
with

-- Read once here, but through `typed`, which three parts below read: left to itself, DuckDB stores this
-- CTE, a copy of every column of typed_orders, where scanning the table again costs far less (and spilled
-- at its memory cap: docs/benchmarks.md, "Daily update").
order_lines as not materialized (
    select * from {{ ref('typed_orders') }}
),

affected_orders as (  -- noqa: ST03
    select order_id as affected_order_id from {{ ref('affected_orders') }}
),

staged_customers as (
    select customer_id as known_customer_id from {{ ref('stg_customers') }}
),

staged_products as (
    select product_id as known_product_id from {{ ref('stg_products') }}
),

-- The values as received: typed_orders keeps them where their text differs from the cast value's.
typed as (
    select
        order_id,
        customer_id,
        product_id,
        quantity,
        price,
        order_date,
        line_number,
        has_line_number,
        coalesce(raw_order_id, cast(order_id as varchar)) as raw_order_id,
        coalesce(raw_customer_id, cast(customer_id as varchar)) as raw_customer_id,
        coalesce(raw_product_id, cast(product_id as varchar)) as raw_product_id,
        coalesce(raw_quantity, cast(quantity as varchar)) as raw_quantity,
        coalesce(raw_price, cast(price as varchar)) as raw_price,
        coalesce(raw_order_date, cast(order_date as varchar)) as raw_order_date,
        coalesce(raw_line_number, cast(line_number as varchar)) as raw_line_number,
        batch,
        file_line,
        line_text,
        read_problem
    from order_lines
    {% if is_incremental() -%}
    where
        order_id in (select affected_order_id from affected_orders)
        or (order_id is null and exists (select 1 from affected_orders where affected_order_id is null))
    {%- endif %}
),

-- Contested orders (few): those with a line key on more than one line, or whose lines disagree on
-- customer or date. Found on the typed rows, before any lookup, so these passes over every line stay
-- cheap; step 1 is applied to their lines below. (A line_number that does not cast keys its line by
-- product here: at worst an order is contested for nothing, and the line is rejected in step 1.)
orders_with_repeated_lines as (
    select order_id
    from typed
    where order_id is not null
    group by order_id, {{ order_line_key() | join(', ') }}
    having count(*) > 1
),

orders_with_disagreeing_lines as (
    select order_id
    from typed
    where order_id is not null
    group by order_id
    having min(customer_id) != max(customer_id) or min(order_date) != max(order_date)
),

contested_orders as (
    select order_id as contested_order_id from orders_with_repeated_lines
    union
    select order_id from orders_with_disagreeing_lines
),

-- Read twice below; reused_cte() says whether each reader recomputes it (DuckDB) or it is stored once (PostgreSQL).
line_checks as {{ reused_cte() }} (
    select
        typed.*,
        contested_orders.contested_order_id,
        -- A line that cannot be read as the contract's columns (landing_reader.py) has that as its one problem.
        coalesce(typed.read_problem, {{ problems(cast_checks('orders') + [
            ("raw_order_id is null", "order_id is null"),
            ("raw_customer_id is null", "customer_id is null"),
            ("customer_id is not null and known_customer_id is null",
                "unknown customer_id: not among the staged customers"),
            ("raw_product_id is null", "product_id is null"),
            ("product_id is not null and known_product_id is null",
                "unknown product_id: not among the staged products"),
            ("raw_quantity is null", "quantity is null"),
            ("quantity <= 0", "quantity is not positive"),
            ("raw_price is null", "price is null"),
            ("price < 0", "price is negative"),
            ("raw_order_date is null", "order_date is null"),
            ("raw_line_number is null and has_line_number", "line_number is null"),
        ]) }}) as problems
    from typed
    left join staged_customers on typed.customer_id = staged_customers.known_customer_id
    left join staged_products on typed.product_id = staged_products.known_product_id
    left join contested_orders on typed.order_id = contested_orders.contested_order_id
),

-- Step 2: the valid lines of contested orders, numbered among the copies of their line key.
contested_lines as (
    select
        *,
        row_number() over (
            partition by order_id, {{ order_line_key() | join(', ') }}
            order by batch, order_date, customer_id, quantity, price
        ) as copy_number
    from line_checks
    where problems is null and contested_order_id is not null
),

-- Step 3: each contested order's customer and date, voted by its distinct lines.
order_header_votes as (
    select
        order_id,
        customer_id,
        order_date,
        row_number() over (
            partition by order_id
            order by count(*) desc, {{ lowest_line_key | join(', ') }}
        ) as vote_rank
    from contested_lines
    where copy_number = 1
    group by order_id, customer_id, order_date
),

order_headers as (
    select
        order_id as header_order_id,
        customer_id as order_customer_id,
        order_date as order_order_date
    from order_header_votes
    where vote_rank = 1
),

contested_verdicts as (
    select
        contested_lines.order_id,
        contested_lines.customer_id,
        contested_lines.product_id,
        contested_lines.quantity,
        contested_lines.price,
        contested_lines.order_date,
        contested_lines.line_number,
        contested_lines.raw_order_id,
        contested_lines.raw_customer_id,
        contested_lines.raw_product_id,
        contested_lines.raw_quantity,
        contested_lines.raw_price,
        contested_lines.raw_order_date,
        contested_lines.raw_line_number,
        contested_lines.batch,
        contested_lines.file_line,
        contested_lines.line_text,
        case
            when contested_lines.copy_number > 1 and contested_lines.line_number is null
                then 'duplicate order line: another row with this order_id and product_id was kept'
            when contested_lines.copy_number > 1
                then 'duplicate order line: another row with this order_id and line_number was kept'
            else {{ problems(differs) }}
        end as reason
    from contested_lines
    inner join order_headers on contested_lines.order_id = order_headers.header_order_id
),

verdicts as (
    select
        order_id,
        customer_id,
        product_id,
        quantity,
        price,
        order_date,
        line_number,
        raw_order_id,
        raw_customer_id,
        raw_product_id,
        raw_quantity,
        raw_price,
        raw_order_date,
        raw_line_number,
        batch,
        file_line,
        line_text,
        problems as reason
    from line_checks
    where problems is not null or contested_order_id is null

    union all

    select * from contested_verdicts
)

-- The raw values (as received) are kept for rejected lines only, which quarantine shows: a staged
-- line's raw values are its typed ones, and storing them twice doubles the table.
select
    batch,
    order_id,
    customer_id,
    product_id,
    quantity,
    price,
    order_date,
    line_number,
    case when reason is not null then raw_order_id end as raw_order_id,
    case when reason is not null then raw_customer_id end as raw_customer_id,
    case when reason is not null then raw_product_id end as raw_product_id,
    case when reason is not null then raw_quantity end as raw_quantity,
    case when reason is not null then raw_price end as raw_price,
    case when reason is not null then raw_order_date end as raw_order_date,
    case when reason is not null then raw_line_number end as raw_line_number,
    case when reason is not null then file_line end as file_line,
    line_text,
    reason
from verdicts
