{#- The checks of the intermediate checked_<table> models, which type every raw row and say why it is
    rejected. A check is a pair (condition, message) in plain SQL, listed in the model; cast_checks adds
    one per contract column, and problems turns a list of them into the row's reason. -#}

{% macro typed_raw_columns(table_name) -%}
    {#- Each contract column twice: cast to its contract type (null when it does not cast) under its own
        name, and as received under raw_<name> (what quarantine keeps). -#}
    {%- for column in raw_columns(table_name) %}
        try_cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }},
        {{ column.name }} as raw_{{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro cast_checks(table_name) -%}
    {#- One check per contract column: present, but not of its contract type ("quantity is not a valid integer"). -#}
    {%- set checks = [] -%}
    {%- for column in raw_columns(table_name) -%}
        {%- do checks.append((
            "raw_" ~ column.name ~ " is not null and " ~ column.name ~ " is null",
            column.name ~ " is not a valid " ~ column.data_type
        )) -%}
    {%- endfor -%}
    {{ return(checks) }}
{%- endmacro %}


{% macro problems(checks) -%}
    {#- The messages of the failing (condition, message) checks, '; '-separated, or null when all pass.
        The string is only built for the rows that fail one: on millions of clean rows, assembling an
        empty one and throwing it away costs more than all the checks. -#}
    case when {% for condition, _ in checks %}({{ condition }}){{ " or " if not loop.last }}{% endfor %}
    then concat_ws('; ',
        {%- for condition, message in checks %}
        case when {{ condition }} then '{{ message }}' end{{ "," if not loop.last }}
        {%- endfor %}
    ) end
{%- endmacro %}


{% macro rejected_columns(table_name) -%}
    {#- The rejected rows' original columns, as received, under their original names. As text, so
        that a CSV and a Parquet drop give the same quarantine columns. -#}
    {%- for column in raw_columns(table_name) %}
        cast(raw_{{ column.name }} as varchar) as {{ column.name }},
    {%- endfor %}
{%- endmacro %}
