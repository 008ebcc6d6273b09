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
)

select
    {% if group_by %}{{ group_by }},{% endif %}
    raw_rows,
    rejected_rows,
    round(rejected_rows / raw_rows, 4) as rejected_share,
    {{ max_share }} as max_share
from counts
where raw_rows > 0 and rejected_rows / raw_rows > {{ max_share }}
{% endtest %}
