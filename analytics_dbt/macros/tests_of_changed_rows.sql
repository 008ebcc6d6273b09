{#- Tests that, in an incremental build, read only the rows that build changed.

    A data test whose config says `where: "__rechecked_orders__"` (on stg_orders) or `where: "__rebuilt_keys__"`
    (on an incremental mart) reads, in an incremental build:
      __rechecked_orders__  the rows of the orders in affected_orders: every line of each, from every batch;
      __rebuilt_keys__      the rows of the keys the mart's pre-hook stored as recomputed (its
                            meta.rebuilt_keys, macros/order_batches.sql);
    and in a full build, every row. This is dbt's documented way to give `where` a value known only at run
    time: the project's own get_where_subquery, which dbt applies to the `model` of every generic test.

    Why it guards the same thing as the whole table. An incremental build rewrites, in checked_orders (and so
    in stg_orders, a view of it), only the lines of the affected orders, and in a mart only the rows of the
    keys it recomputes: every other row is the one the last complete build wrote. The last complete build ran
    these same tests and they passed: record_build counts a build complete only then. Each of these tests
    fails on one row (not null, a staged customer, a positive quantity) or on a group of rows of one order or
    one key (a duplicate (order_id, product_id), an order's lines naming two customers, two rows of one
    customer and month): a row or group that failed now, outside what the build changed, would have failed
    then. And what can change a row without a new line is changed on purpose: an order whose customer or
    product stopped being staged is an affected order, and a customer or product whose dimension row changed
    is a recomputed key. On a long history the whole-table tests cost an update more than its models, and
    the grouped ones ran out of DuckDB's default memory (docs/benchmarks.md).

    Var whole_tables (dbt_project.yml) makes these tests read every row without a full refresh: a defect
    planted behind dbt's back, outside what builds change, is otherwise found only by a full rebuild. The
    weekly Dagster schedule weekly_whole_table_tests runs them so; an analyst: `dbt test --vars '{whole_tables: true}'`. -#}

{% macro changed_rows_placeholders() %}{{ return(['__rechecked_orders__', '__rebuilt_keys__']) }}{% endmacro %}


{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where in changed_rows_placeholders() -%}
        {%- set narrowed = incremental_mode() and not var('whole_tables', false) -%}
        {%- set where = changed_rows_filter(relation, where) if narrowed else '' -%}
    {%- endif -%}
    {{- return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery" if where else relation) -}}
{%- endmacro %}


{% macro changed_rows_filter(relation, placeholder) -%}
    {#- The condition on `relation`'s rows that an incremental build changed; empty (every row) when they are
        not known, e.g. a mart this build did not recompute and no build has yet. -#}
    {%- if placeholder == '__rechecked_orders__' -%}
        {{- return("order_id in (select order_id from " ~ model_relation('affected_orders') ~ ")") -}}
    {%- endif -%}
    {%- set mart = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('alias', 'equalto', relation.identifier) | first -%}
    {%- set columns = mart_key_columns(mart.config.meta) | join(", ") -%}
    {%- set stored = rebuilt_keys_table(relation.identifier) -%}
    {%- if not state_exists(stored) -%}{{ return('') }}{%- endif -%}
    {{- return("(" ~ columns ~ ") in (select " ~ columns ~ " from " ~ state_table(stored) ~ ")") -}}
{%- endmacro %}


{% macro changed_rows_tests() -%}
    {#- The tests that read only the changed rows in an incremental build: record_build counts a build
        complete only when they ran and passed, so that the next incremental build can trust every row it
        does not change. -#}
    {{- return(graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
        | selectattr('config.where', 'in', changed_rows_placeholders())
        | map(attribute='unique_id') | list) -}}
{%- endmacro %}
