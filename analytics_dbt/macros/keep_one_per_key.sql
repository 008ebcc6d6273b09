{% macro keep_one_per_key(table_name, relation, key, order_by, duplicate_reason) -%}
    {#- The rows of raw.<table_name> from `relation`, with a final `reason` column: the row's problems, or
        `duplicate_reason` for all but one valid row per `key`. The copy kept is the first by `order_by`,
        so the result does not depend on the file's row order.
        `relation` has the typed and raw_* columns, `problems` (null when the row is valid) and
        `duplicated_key` (the key when it occurs more than once in the file, else null): only those
        rows go through the window; the rest stream through in one pass.
        The raw_* values (as received) are kept for rejected rows only, which quarantine shows: a
        staged row's raw values are its typed ones, and storing them twice doubled the table. -#}
    {%- set raw_names = [] -%}
    {%- for column in raw_columns(table_name) -%}{%- do raw_names.append('raw_' ~ column.name) -%}{%- endfor %}
    select * exclude (problems, duplicated_key, {{ raw_names | join(', ') }}),
        {{ _only_when('problems is not null', raw_names) }}
        problems as reason
    from {{ relation }}
    where problems is not null or duplicated_key is null

    union all

    select * exclude (problems, duplicated_key, copy_number, {{ raw_names | join(', ') }}),
        {{ _only_when('copy_number > 1', raw_names) }}
        case when copy_number > 1 then '{{ duplicate_reason }}' end as reason
    from (
        select *, row_number() over (partition by {{ key }} order by {{ order_by }}) as copy_number
        from {{ relation }}
        where problems is null and duplicated_key is not null
    )
{%- endmacro %}


{% macro _only_when(condition, columns) -%}
    {%- for column in columns %}
        case when {{ condition }} then {{ column }} end as {{ column }},
    {%- endfor %}
{%- endmacro %}


{% macro duplicated_keys(relation, key) -%}
    {#- The values of `key` that occur more than once in `relation` (few), as `duplicated_key`; counted on
        the typed rows, before any lookup, so the one pass over every key stays cheap. -#}
    select {{ key }} as duplicated_key
    from {{ relation }}
    where {{ key }} is not null
    group by {{ key }}
    having count(*) > 1
{%- endmacro %}
