{#- Helpers for the staging/checked models, which type every raw row and say why it is rejected. -#}

{% macro typed_raw_columns(table_name) -%}
    {#- Each contract column twice: cast to its contract type (null when it does not cast) under its own
        name, and as received, as text, under raw_<name> (what quarantine keeps). -#}
    {%- for column in raw_columns(table_name) %}
        try_cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }},
        cast({{ column.name }} as varchar) as raw_{{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro cast_failures(table_name) -%}
    {#- One problem per value that is present but is not of its contract type ("quantity is not a valid integer"). -#}
    {%- for column in raw_columns(table_name) %}
        case when raw_{{ column.name }} is not null and {{ column.name }} is null
            then '{{ column.name }} is not a valid {{ column.data_type }}' end,
    {%- endfor %}
{%- endmacro %}


{% macro rejected_columns(table_name) -%}
    {#- The rejected rows' original columns, as received (text), under their original names. -#}
    {%- for column in raw_columns(table_name) %}
        raw_{{ column.name }} as {{ column.name }},
    {%- endfor %}
{%- endmacro %}
