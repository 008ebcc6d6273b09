{#- Tests of stg_orders that, in an incremental build, read only the orders that build re-checked.

    A data test whose config says `where: "__rechecked_orders__"` tests, in an incremental build, the rows of
    the orders in affected_orders (every line of each, from every batch); in a full build, every row. This
    is dbt's documented way to give `where` a value known only at run time: the project's own
    get_where_subquery, which dbt applies to the `model` of every generic test.

    Why it guards the same thing as the whole table. An incremental build rewrites, in checked_orders (and
    so in stg_orders, a view of it), only the lines of the affected orders: every other line is the row the
    last complete build wrote. The last complete build ran these same tests and they passed (record_build
    counts a build complete only then). Each of these tests fails on a group of rows of one order (a
    duplicate (order_id, product_id), an order's lines naming two customers) or on one row (not null, a
    staged customer); a group or row that failed now, outside the affected orders, would have failed then.
    And an order whose customer or product stopped being staged is an affected order. On a long history the
    whole-table grouped tests were the slowest nodes of an update, and ran out of DuckDB's default memory
    (docs/benchmarks.md). -#}

{% macro rechecked_orders_placeholder() %}{{ return('__rechecked_orders__') }}{% endmacro %}


{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == rechecked_orders_placeholder() -%}
        {%- set where = "order_id in (select order_id from " ~ model_relation('affected_orders') ~ ")"
            if incremental_mode() else '' -%}
    {%- endif -%}
    {{- return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery" if where else relation) -}}
{%- endmacro %}


{% macro rechecked_orders_tests() -%}
    {#- The tests that read only the re-checked orders in an incremental build: record_build counts a build
        complete only when they ran and passed, so that the next incremental build can trust every order it
        does not re-check. -#}
    {{- return(graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
        | selectattr('config.where', 'equalto', rechecked_orders_placeholder())
        | map(attribute='unique_id') | list) -}}
{%- endmacro %}
