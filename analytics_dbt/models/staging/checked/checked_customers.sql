-- Every raw customer row, typed, with the reason it is rejected (null when it is staged).
with source as (
    select * from {{ source('raw', 'customers') }}
),

typed as (
    select {{ typed_raw_columns('customers') }}
    from source
),

normalised as (
    select * replace (lower(trim(tier)) as tier)
    from typed
),

row_problems as (
    select
        *,
        {{ problems(cast_checks('customers') + [
            ("raw_customer_id is null", "customer_id is null"),
            ("tier not in ('basic', 'premium')", "tier is not basic or premium"),
            ("raw_tier is null", "tier is null"),
        ]) }} as problems
    from normalised
)

select * from (
    {{ keep_one_per_key('row_problems', 'customer_id', 'signup_date, name, email, tier',
        'duplicate customer_id: another row with this customer_id was kept') }}
)
