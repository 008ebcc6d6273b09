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

duplicated_keys as (
    {{ duplicated_keys('normalised', 'customer_id') }}
),

row_problems as (
    select
        normalised.*,
        duplicated_keys.duplicated_key,
        {{ problems(cast_checks('customers') + [
            ("raw_customer_id is null", "customer_id is null"),
            ("tier not in ('basic', 'premium')", "tier is not basic or premium"),
            ("raw_tier is null", "tier is null"),
        ]) }} as problems
    from normalised
    left join duplicated_keys on normalised.customer_id = duplicated_keys.duplicated_key
)

select * from (
    {{ keep_one_per_key('customers', 'row_problems', 'customer_id', 'signup_date, name, email, tier',
        'duplicate customer_id: another row with this customer_id was kept') }}
)
