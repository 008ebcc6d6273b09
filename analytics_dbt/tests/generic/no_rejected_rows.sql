{#- Reports how many rows a quarantine table holds, by reason. Used at severity warn: bad rows are
    expected from source systems and must not stop the build, but the count must be seen. -#}
{% test no_rejected_rows(model) %}
{{ config(fail_calc = "coalesce(sum(rejected_rows), 0)") }}
select reason, count(*) as rejected_rows
from {{ model }}
group by reason
{% endtest %}
