{#- Fails on every `group_by` value whose rows do not all have the same `columns` (e.g. the lines of one
    order that name different customers). Nulls aside: not_null tests those. -#}
{% test same_within_group(model, group_by, columns) %}
select {{ group_by }}, count(*) as rows_in_group
from {{ model }}
group by {{ group_by }}
having {% for column in columns %}min({{ column }}) != max({{ column }}){{ " or " if not loop.last }}{% endfor %}
{% endtest %}
