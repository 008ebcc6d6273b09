-- Every raw product row, typed, with the reason it is rejected (null when it is staged).
with source as (
    select * from {{ source('raw', 'products') }}
),

typed as (
    select {{ typed_raw_columns('products') }}
    from source
),

duplicated_keys as (
    {{ duplicated_keys('typed', 'product_id') }}
),

row_problems as (
    select
        typed.*,
        duplicated_keys.duplicated_key,
        {{ problems(cast_checks('products') + [
            ("raw_product_id is null", "product_id is null"),
            ("raw_cost is null", "cost is null"),
            ("cost < 0", "cost is negative"),
            ("retail_price < 0", "retail_price is negative"),
        ]) }} as problems
    from typed
    left join duplicated_keys on typed.product_id = duplicated_keys.duplicated_key
)

select * from (
    {{ keep_one_per_key('products', 'row_problems', 'product_id', 'product, category, supplier, cost, retail_price',
        'duplicate product_id: another row with this product_id was kept') }}
)
