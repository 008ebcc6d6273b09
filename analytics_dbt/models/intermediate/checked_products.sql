-- Every raw product row, typed, with the reason it is rejected (null when it is staged): a problem of
-- its own, or a duplicate product_id (the valid copy kept is the first by product, category, supplier,
-- cost, retail_price).
with

source as (
    select * from {{ source('raw', 'products') }}
),

typed as (
    select
        {{ typed_raw_columns('products') }},
        file_line,
        line_text,
        read_problem
    from source
),

row_checks as (
    select
        *,
        -- A line that cannot be read as the contract's columns (landing_reader.py) has that as its one problem.
        coalesce(read_problem, {{ problems(cast_checks('products') + [
            ("raw_product_id is null", "product_id is null"),
            ("raw_cost is null", "cost is null"),
            ("cost < 0", "cost is negative"),
            ("retail_price < 0", "retail_price is negative"),
        ]) }}) as problems
    from typed
),

-- The valid rows of one product_id, numbered: the copy kept is the first.
numbered as (
    select
        *,
        row_number() over (
            partition by product_id, problems is null
            order by product, category, supplier, cost, retail_price
        ) as copy_number
    from row_checks
),

verdicts as (
    select
        *,
        case
            when problems is not null then problems
            when copy_number > 1 then 'duplicate product_id: another row with this product_id was kept'
        end as reason
    from numbered
)

-- The raw values (as received) are kept for rejected rows only, which quarantine shows.
select
    product_id,
    product,
    category,
    cost,
    retail_price,
    supplier,
    case when reason is not null then raw_product_id end as raw_product_id,
    case when reason is not null then raw_product end as raw_product,
    case when reason is not null then raw_category end as raw_category,
    case when reason is not null then raw_cost end as raw_cost,
    case when reason is not null then raw_retail_price end as raw_retail_price,
    case when reason is not null then raw_supplier end as raw_supplier,
    case when reason is not null then file_line end as file_line,
    line_text,
    reason
from verdicts
