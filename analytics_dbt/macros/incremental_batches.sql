{#- Daily batches on dbt's own incremental models: the little that stays custom, all of it here.

    What a build changes is found by SQL, at run time, against the ledger of the last complete build
    (models/ledger/: the order batches it built with their fingerprints, the customers and products it
    staged). The ledger models run last, after every mart and its tests, so a build that fails or is killed
    leaves the ledger as it was: the next build finds the same changes again, and every incremental model
    replaces the rows of those keys, which gives the same table whether or not the failed build had already
    done so. Nothing else is kept between builds; a model's compiled SQL depends on is_incremental() and on
    whether the previous build's tables exist yet, never on what they hold.

    1. replace_keys, an incremental strategy (dbt's documented get_incremental_<name>_sql): dbt's
       delete+insert, except that it also deletes the keys of the model named by `replaced_keys` (a key
       whose rows are all gone: an order a re-delivered batch no longer holds, a customer-month left with
       no order). delete+insert alone deletes only the keys its new rows have.
    2. previous_build: a table as the last build left it (a ledger, or typed_orders for the before image),
       read before it is rebuilt: not a ref, which would be a cycle. Before it exists it reads as no rows
       of `empty`, a query with the columns read: everything is new. since_last_complete_build: of such a
       table, the rows builds computed after the last complete one: what a failed build changed is redone
       even when the landing files changed again since (replaced_order_lines, affected_orders, affected_keys
       keep them, stamped computed_at, until a build completes).
    3. get_where_subquery: the tests whose config says `where: __rechecked_orders__` or `__rebuilt_keys__`
       read only the rows of affected_orders or affected_keys in an incremental build (dbt's documented
       override for a `where` known only at run time). Why that guards the whole table: docs/daily-batches.md.
       Every row: on --full-refresh, before the first complete build, and with `--vars '{whole_tables: true}'`. -#}

{% macro get_incremental_replace_keys_sql(arg_dict) -%}
    {{- return(adapter.dispatch('replace_keys_sql')(arg_dict)) -}}
{%- endmacro %}

{% macro default__replace_keys_sql(arg_dict) -%}
    {%- set keys = config.require('unique_key') -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict.dest_columns | map(attribute='name')) -%}
    delete from {{ arg_dict.target_relation }}
    where {{ key_in(keys, ref(config.require('replaced_keys'))) }} or {{ key_in(keys, arg_dict.temp_relation) }};
    insert into {{ arg_dict.target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict.temp_relation }}
{%- endmacro %}

{% macro key_in(keys, relation) -%}
    {#- The rows whose key is among `relation`'s; a single key that is null matches a null there (the
        lines without an order_id are replaced together). -#}
    {%- set key = keys | join(', ') -%}
    ({{ key }}) in (select {{ key }} from {{ relation }} where {{ keys | join(' is not null and ') }} is not null)
    {%- if keys | length == 1 %}
    or ({{ key }} is null and exists (select 1 from {{ relation }} where {{ key }} is null))
    {%- endif -%}
{%- endmacro %}


{% macro previous_build(name, empty) -%}
    {#- Aliased `name` either way, so that a caller qualifies every column it reads (`name.column`): the
        table is no ref, so dagster-dbt's column lineage (sqlglot) does not know its columns and cannot
        resolve a bare one. -#}
    {%- set relation = existing_relation(name) -%}
    {{- return((relation ~ ' as ' ~ name) if relation is not none else ('(' ~ empty ~ ' limit 0) as ' ~ name)) -}}
{%- endmacro %}

{% macro since_last_complete_build(name, columns, empty) -%}
    {#- The `columns` of the rows model `name` held that a build after the last complete one computed
        (computed_at later than every ledger's built_at): changes an unfinished build had begun to apply, which
        this build finishes too. None once a build completed. Aliased `pending`. -#}
    {%- set ledgers = [] -%}
    {%- for node in (graph.nodes.values() if execute else []) if node.resource_type == 'model' and node.fqn[1] == 'ledger' -%}
        {%- do ledgers.append('select max(' ~ node.name ~ '.built_at) as built_at from '
            ~ previous_build(node.name, 'select current_timestamp as built_at')) -%}
    {%- endfor -%}
    {{- return('(select ' ~ qualified(name, columns) ~ ' from ' ~ previous_build(name, empty)
        ~ ' where ' ~ name ~ '.computed_at > (select min(ledgers.built_at) from ('
        ~ (ledgers | join(' union all ') or 'select null as built_at') ~ ') as ledgers)) as pending') -}}
{%- endmacro %}

{% macro qualified(alias, columns) -%}
    {%- set names = [] -%}
    {%- for column in columns -%}{%- do names.append(alias ~ '.' ~ column) -%}{%- endfor -%}
    {{- return(names | join(', ')) -}}
{%- endmacro %}

{% macro replaces_incrementally() -%}
    {#- Whether a model that replaces the keys this model lists (config replaced_keys) will: not on
        --full-refresh, nor before it exists; then those models are built whole and this one lists none. -#}
    {%- set built = [] -%}
    {%- for node in (graph.nodes.values() if execute else []) if node.config.get('replaced_keys') == this.identifier
        and existing_relation(node.name) is not none -%}{%- do built.append(node.name) -%}{%- endfor -%}
    {{- return(not flags.FULL_REFRESH and built | length > 0) -}}
{%- endmacro %}

{% macro existing_relation(name) -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) if execute else none -%}
    {{- return(load_relation(api.Relation.create(node.database, node.schema, node.alias)) if node else none) -}}
{%- endmacro %}


{% macro ledger() -%}
    {#- A ledger model's rows: its query's (the caller) in a build that ran every model the ledger depends on;
        otherwise what it held (none at first), and the next build finds the same changes again. Not in a
        `dbt run` (no test ran), nor in a build of some models only (say the marts without typed_orders). -#}
    {%- set missing = [] -%}
    {%- for node in model.depends_on.nodes if node.startswith('model.') and node not in selected_resources -%}
        {%- do missing.append(node) -%}
    {%- endfor -%}
    {%- set complete = invocation_args_dict.get('which') != 'run' and not missing -%}
    {%- if complete -%}{{ caller() }}
    {%- elif load_relation(this) is not none -%}select * from {{ this }}
    {%- else -%}select * from ({{ caller() }}) as nothing_built_yet limit 0
    {%- endif -%}
{%- endmacro %}


{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- set changed = {'__rechecked_orders__': ('affected_orders', ['order_id']), '__rebuilt_keys__': ('affected_keys', none)} -%}
    {%- if where in changed -%}
        {%- set model, keys = changed[where] -%}
        {%- set node = graph.nodes.values() | selectattr('alias', 'equalto', relation.identifier) | first -%}
        {%- set keys = keys or ([node.config.unique_key] if node.config.unique_key is string else node.config.unique_key) -%}
        {#- Before the first complete build, every row changed: reading them through the filter costs more. -#}
        {%- set whole = var('whole_tables') or flags.FULL_REFRESH or existing_relation('built_order_batches') is none -%}
        {%- set where = '' if whole else key_in(keys, existing_relation(model)) -%}
    {%- endif -%}
    {{- return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery" if where else relation) -}}
{%- endmacro %}
