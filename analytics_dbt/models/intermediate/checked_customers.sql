-- Every raw customer row, typed, with the reason it is rejected (null when it is staged): a problem of
-- its own, or a duplicate customer_id (the valid copy kept is the first by signup_date, name, email, tier).
with

source as (
    select * from {{ source('raw', 'customers') }}
),

typed as (
    select
        {{ typed_raw_columns('customers') }},
        file_line,
        line_text,
        read_problem
    from source
),

normalised as (
    select
        customer_id,
        name,
        email,
        signup_date,
        lower(trim(tier)) as tier,
        raw_customer_id,
        raw_name,
        raw_email,
        raw_signup_date,
        raw_tier,
        file_line,
        line_text,
        read_problem
    from typed
),

row_checks as (
    select
        *,
        -- A line that cannot be read as the contract's columns (landing_reader.py) has that as its one problem.
        coalesce(read_problem, {{ problems(cast_checks('customers') + [
            ("raw_customer_id is null", "customer_id is null"),
            ("tier not in ('basic', 'premium')", "tier is not basic or premium"),
            ("raw_tier is null", "tier is null"),
        ]) }}) as problems
    from normalised
),

-- The valid rows of one customer_id, numbered: the copy kept is the first.
numbered as (
    select
        *,
        row_number() over (
            partition by customer_id, problems is null
            order by signup_date, name, email, tier
        ) as copy_number
    from row_checks
),

verdicts as (
    select
        *,
        case
            when problems is not null then problems
            when copy_number > 1 then 'duplicate customer_id: another row with this customer_id was kept'
        end as reason
    from numbered
)

-- The raw values (as received) are kept for rejected rows only, which quarantine shows.
select
    customer_id,
    name,
    email,
    signup_date,
    tier,
    case when reason is not null then raw_customer_id end as raw_customer_id,
    case when reason is not null then raw_name end as raw_name,
    case when reason is not null then raw_email end as raw_email,
    case when reason is not null then raw_signup_date end as raw_signup_date,
    case when reason is not null then raw_tier end as raw_tier,
    case when reason is not null then file_line end as file_line,
    line_text,
    reason
from verdicts
