-- Every raw product row, typed, with the reason it is rejected (null when it is staged).
with source as (
    select * from {{ source('raw', 'products') }}
),

typed as (
    select {{ typed_raw_columns('products') }}
    from source
),

row_problems as (
    select
        *,
        nullif(concat_ws('; ',
            {{ cast_failures('products') }}
            case when raw_product_id is null then 'product_id is null' end,
            case when raw_cost is null then 'cost is null' end,
            case when cost < 0 then 'cost is negative' end,
            case when retail_price < 0 then 'retail_price is negative' end
        ), '') as problems
    from typed
)

select * from (
    {{ keep_one_per_key('row_problems', 'product_id', 'product, category, supplier, cost, retail_price',
        'duplicate product_id: another row with this product_id was kept') }}
)
