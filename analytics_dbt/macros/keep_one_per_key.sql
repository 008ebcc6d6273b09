{% macro keep_one_per_key(relation, key, order_by, duplicate_reason) -%}
    {#- The rows of `relation` (which has a `problems` column, null when the row is valid) with a final
        `reason` column: the row's problems, or `duplicate_reason` for all but one valid row per `key`.
        The copy kept is the first by `order_by`, so the result does not depend on the file's row order.
        Only the (rare) duplicated keys go through the window; the rest stream through. -#}
    with duplicated_keys as (
        select {{ key }} from {{ relation }} where problems is null group by {{ key }} having count(*) > 1
    )

    select * exclude (problems), problems as reason
    from {{ relation }}
    where problems is not null

    union all

    select * exclude (problems), null as reason
    from {{ relation }}
    where problems is null and {{ key }} not in (select {{ key }} from duplicated_keys)

    union all

    select * exclude (problems, copy_number),
        case when copy_number > 1 then '{{ duplicate_reason }}' end as reason
    from (
        select *, row_number() over (partition by {{ key }} order by {{ order_by }}) as copy_number
        from {{ relation }}
        where problems is null and {{ key }} in (select {{ key }} from duplicated_keys)
    )
{%- endmacro %}
