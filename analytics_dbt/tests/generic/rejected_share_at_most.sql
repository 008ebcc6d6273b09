{#- Fails when more than `max_share` of the raw rows were rejected. One bad row is quarantined and the
    build goes on; a file that is mostly rejected is wrong as a whole (the wrong export, a customers
    file from another system, a broken price column), and marts built from the rest would be wrong.
    It counts in `checked` (every raw row, with its reason), which is upstream of the marts: dbt build
    only lets a test hold back the models whose ancestors include all of the test's parents. -#}
{% test rejected_share_at_most(model, checked, max_share, group_by=none) %}
{#- With group_by (orders: batch), the share is per group: a bad batch fails on its own, however long the
    history it is diluted in, and the failing row names it. -#}
with counts as (
    select
        {% if group_by %}{{ group_by }},{% endif %}
        count(*) as raw_rows,
        count(reason) as rejected_rows
    from {{ checked }}
    {% if group_by %}group by {{ group_by }}{% endif %}
),

-- As a decimal: PostgreSQL divides two integers into an integer (0 for any share below 1).
shares as (
    select
        {% if group_by %}{{ group_by }},{% endif %}
        raw_rows,
        rejected_rows,
        cast(rejected_rows as decimal(38, 0)) / nullif(raw_rows, 0) as rejected_share
    from counts
)

select
    {% if group_by %}{{ group_by }},{% endif %}
    raw_rows,
    rejected_rows,
    round(rejected_share, 4) as rejected_share,
    {{ max_share }} as max_share
from shares
where rejected_share > {{ max_share }}
{% endtest %}
