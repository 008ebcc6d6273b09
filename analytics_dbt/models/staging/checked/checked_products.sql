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
        {{ problems(cast_checks('products') + [
            ("raw_product_id is null", "product_id is null"),
            ("raw_cost is null", "cost is null"),
            ("cost < 0", "cost is negative"),
            ("retail_price < 0", "retail_price is negative"),
        ]) }} as problems
    from typed
)

select * from (
    {{ keep_one_per_key('row_problems', 'product_id', 'product, category, supplier, cost, retail_price',
        'duplicate product_id: another row with this product_id was kept') }}
)
