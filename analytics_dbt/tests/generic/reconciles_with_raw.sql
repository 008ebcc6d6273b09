{#- The quarantine invariant: every raw row is either staged (in `model`) or rejected, never both,
    never lost. Fails with the three counts when raw rows != staged rows + rejected rows. -#}
{% test reconciles_with_raw(model, raw, rejected) %}
with counts as (
    select
        (select count(*) from {{ raw }}) as raw_rows,
        (select count(*) from {{ model }}) as staged_rows,
        (select count(*) from {{ rejected }}) as rejected_rows
)

select *
from counts
where raw_rows != staged_rows + rejected_rows
{% endtest %}
