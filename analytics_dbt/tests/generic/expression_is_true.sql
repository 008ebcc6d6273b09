{#- Fails on every row where `expression` is not true (a rule between columns of one row).
    dbt packages (dbt_utils) are not installable offline here, so the project carries its own. -#}
{% test expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}
