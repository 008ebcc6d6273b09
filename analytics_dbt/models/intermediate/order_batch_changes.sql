-- The order batches whose lines this build replaces in typed_orders: each batch whose landed fingerprint
-- differs from the one the last complete build used (new, re-delivered or removed), and each batch of which
-- typed_orders still holds a version that is neither (the before image of a change that has since been
-- built). Before the first complete build, every landed batch is new.
with

landed as (
    select distinct
        batch,
        batch_fingerprint as fingerprint
    from {{ source('raw', 'orders') }}
),

built as (
    select
        built_order_batches.batch,
        built_order_batches.fingerprint
    {%- set never_built = 'select batch, batch_fingerprint as fingerprint from ' ~ source('raw', 'orders') %}
    from {{ previous_build('built_order_batches', never_built) }}
),

held as (
    select distinct
        typed_orders.batch,
        typed_orders.batch_fingerprint as fingerprint
    from {{ previous_build('typed_orders', 'select batch, batch_fingerprint from ' ~ source('raw', 'orders')) }}
),

versions as (
    select
        coalesce(landed.batch, built.batch) as batch,
        landed.fingerprint as landed_fingerprint,
        built.fingerprint as built_fingerprint
    from landed
    full outer join built on landed.batch = built.batch
),

stale_versions as (
    select held.batch
    from held
    left join versions on held.batch = versions.batch
    where
        versions.batch is null
        or (
            held.fingerprint is distinct from versions.landed_fingerprint
            and held.fingerprint is distinct from versions.built_fingerprint
        )
)

select
    versions.batch,
    versions.landed_fingerprint,
    versions.built_fingerprint
from versions
where
    versions.landed_fingerprint is distinct from versions.built_fingerprint
    or versions.batch in (select stale_versions.batch from stale_versions)

union all

select
    stale_versions.batch,
    null as landed_fingerprint,
    null as built_fingerprint
from stale_versions
where stale_versions.batch not in (select versions.batch from versions)
