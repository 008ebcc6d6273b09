{#- Helpers for the staging/checked models, which type every raw row and say why it is rejected. -#}

{% macro typed_raw_columns(table_name) -%}
    {#- Each contract column twice: cast to its contract type (null when it does not cast) under its own
        name, and as received under raw_<name> (what quarantine keeps). -#}
    {%- for column in raw_columns(table_name) %}
        try_cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }},
        {{ column.name }} as raw_{{ column.name }}{{ "," if not loop.last }}
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
    {#- The rejected rows' original columns, as received, under their original names. As text, so
        that a CSV and a Parquet drop give the same quarantine columns. -#}
    {%- for column in raw_columns(table_name) %}
        cast(raw_{{ column.name }} as varchar) as {{ column.name }},
    {%- endfor %}
{%- endmacro %}
