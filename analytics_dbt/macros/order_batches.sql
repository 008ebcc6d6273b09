{#- Daily batches of orders, and what makes a plain `dbt build` incremental.

    The batch (a file of raw/orders/, or the single file raw/orders.parquet|csv) is the unit that arrives.
    A batch is identified by its file name and fingerprinted by size and modification time in µs (the
    text of warehouse_paths.landing_fingerprint, which the raw files' sensor gives as data versions): a file
    replaced under the same name is a re-delivered batch. (A content hash would also ignore a mere
    `touch`, but it reads every byte of every batch at every build; a false "changed" only costs a
    recompute of that batch's orders, never a wrong result.)

    Schema build_state holds the bookkeeping, written by the run hooks only:
      landed_batches        batch, path, fingerprint: the batch files now in the landing folder
      built_batches         the same, as of the last complete build
      changed_batches       batches new, re-delivered or removed since then (every batch in a full build)
      replaced_order_lines  checked_orders' lines of the changed batches as they were before this build:
                            the "before" side of what the marts must recompute
      built_customers, built_products   staged dimension ids as of the last complete build
      status                mode of this build ('incremental' or 'full') and whether the last build that
                            touched an incremental model completed
    A build is incremental when the last one completed (every incremental model built, nothing failed);
    otherwise, on --full-refresh, on the first build and on another backend than DuckDB, every
    incremental model recomputes everything. -#}

{% macro build_state_schema() %}{{ return('build_state') }}{% endmacro %}


{% macro batch_files(stem) -%}
    {#- The batch files of the folder <stem>/, sorted by name (the order batches arrived in). -#}
    {{- return(run_query(
        "select file from glob(" ~ sql_string(stem ~ '/*.parquet') ~ ") union all "
        ~ "select file from glob(" ~ sql_string(stem ~ '/*.csv') ~ ") order by file"
    ).columns[0].values() | list) -}}
{%- endmacro %}


{% macro sql_string_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}{%- do quoted.append(sql_string(value) | trim) -%}{%- endfor -%}
    {{- return("[" ~ quoted | join(", ") ~ "]") -}}
{%- endmacro %}


{% macro batches_reader(files, columns) -%}
    {#- One relation over the batch files: the contract columns and `batch`, the file's name. Parquet
        and CSV files are read by one scan each (a filter on `batch` reads only the matching files). -#}
    {%- set parts = [] -%}
    {%- set parquet, csv = [], [] -%}
    {%- for file in files -%}
        {%- do (csv if file.endswith('.csv') else parquet).append(file) -%}
    {%- endfor -%}
    {%- if parquet -%}
        {%- do parts.append("select " ~ columns | join(", ") ~ ", parse_filename(filename) as batch from read_parquet("
            ~ sql_string_list(parquet) ~ ", filename = true, union_by_name = true)") -%}
    {%- endif -%}
    {%- if csv -%}
        {%- do parts.append("select " ~ columns | join(", ") ~ ", parse_filename(filename) as batch from read_csv("
            ~ sql_string_list(csv) ~ ", header = true, all_varchar = true, filename = true, union_by_name = true)") -%}
    {%- endif -%}
    {{- return(parts | join(" union all ")) -}}
{%- endmacro %}


{% macro state_table(name) -%}
    {{- return(build_state_schema() ~ "." ~ name) -}}
{%- endmacro %}


{% macro state_exists(name) -%}
    {#- Asked of the database, not dbt's relation cache: the hooks create these tables behind dbt's back. -#}
    {{- return(run_query("select count(*) from information_schema.tables where table_schema = "
        ~ sql_string(build_state_schema()) ~ " and table_name = " ~ sql_string(name)).columns[0].values()[0] > 0) -}}
{%- endmacro %}


{% macro model_relation(name) -%}
    {#- The relation of model `name`, or none when it has not been built yet. -#}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', name) | first -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}


{% macro incremental_models() -%}
    {{- return(graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('config.materialized', 'equalto', 'incremental') | map(attribute='unique_id') | list) -}}
{%- endmacro %}


{% macro start_order_batches(stem, files) -%}
    {#- Run by the on-run-start hook, before any model: lists the landed batches, decides this build's
        mode, and records what changed since the last complete build (see the top of this file). -#}
    {%- set schema = build_state_schema() -%}
    {%- set listing = [] -%}
    {%- for file in files -%}
        {%- do listing.append("select " ~ sql_string(file) ~ " as path") -%}
    {%- endfor -%}
    {%- do run_query("create schema if not exists " ~ schema) -%}
    {%- do run_query("create or replace table " ~ state_table('landed_batches') ~ " as "
        ~ "select parse_filename(filename) as batch, filename as path, "
        ~ "cast(size as varchar) || ':' || cast(epoch_us(last_modified) as varchar) as fingerprint "
        ~ "from read_blob(" ~ sql_string_list(files) ~ ")") -%}
    {%- set incremental = not flags.FULL_REFRESH
        and state_exists('status') and state_exists('built_batches') and state_exists('built_customers')
        and model_relation('checked_orders') is not none
        and run_query("select count(*) from " ~ state_table('status') ~ " where complete").columns[0].values()[0] == 1 -%}
    {%- set mode = 'incremental' if incremental else 'full' -%}
    {%- if incremental -%}
        {%- do run_query("create or replace table " ~ state_table('changed_batches') ~ " as "
            ~ "select batch from (select batch, fingerprint from " ~ state_table('landed_batches')
            ~ " except select batch, fingerprint from " ~ state_table('built_batches')
            ~ ") as new_or_redelivered union select batch from " ~ state_table('built_batches')
            ~ " where batch not in (select batch from " ~ state_table('landed_batches') ~ ")") -%}
        {%- do run_query("create or replace table " ~ state_table('replaced_order_lines') ~ " as "
            ~ "select order_id, customer_id, product_id, order_date from " ~ model_relation('checked_orders')
            ~ " where batch in (select batch from " ~ state_table('changed_batches') ~ ")") -%}
    {%- else -%}
        {%- do run_query("create or replace table " ~ state_table('changed_batches') ~ " as "
            ~ "select batch from " ~ state_table('landed_batches')) -%}
        {%- do run_query("create or replace table " ~ state_table('replaced_order_lines') ~ " as "
            ~ "select cast(null as bigint) as order_id, cast(null as bigint) as customer_id, "
            ~ "cast(null as bigint) as product_id, cast(null as date) as order_date where false") -%}
    {%- endif -%}
    {#- Written at the end of the hook, once every file passed its checks. Only a build that runs an
        incremental model changes their state: `dbt test`, or a build of other models, leaves the last
        build's verdict as it was. -#}
    {%- set touches = incremental_models() | select('in', selected_resources) | list | length > 0 -%}
    {%- set was_complete = state_exists('status') and run_query("select count(*) from " ~ state_table('status')
        ~ " where complete").columns[0].values()[0] == 1 -%}
    {%- set status_sql = "create or replace table " ~ state_table('status') ~ " as select " ~ sql_string(mode)
        ~ " as mode, " ~ ("false" if touches else was_complete | string | lower) ~ " as complete" -%}
    {{ log("order batches: " ~ files | length ~ " landed, "
        ~ run_query("select count(*) from " ~ state_table('changed_batches')).columns[0].values()[0]
        ~ " new, re-delivered or removed; " ~ mode ~ " build", info=true) }}
    {#- The hook's own statements run after its checks; the bookkeeping above is committed now. -#}
    {%- do adapter.commit() -%}
    {{- return(status_sql) -}}
{%- endmacro %}


{% macro changed_batch_files() -%}
    {{- return(run_query("select path from " ~ state_table('landed_batches') ~ " where batch in (select batch from "
        ~ state_table('changed_batches') ~ ") order by path").columns[0].values() | list) -}}
{%- endmacro %}


{% macro incremental_mode() -%}
    {#- True when this build is incremental (build_state.status, decided by the on-run-start hook). -#}
    {%- if not execute or target.type != 'duckdb' or not state_exists('status') -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(run_query("select mode from " ~ state_table('status')).columns[0].values()[0] == 'incremental') -}}
{%- endmacro %}


{% macro incremental_build() -%}
    {#- True when this incremental model updates only what changed: its table exists, no --full-refresh,
        and the build is incremental. -#}
    {#- A unit test has no `this`: it always tests the full computation. -#}
    {{- return(this is not none and is_incremental() and incremental_mode()) -}}
{%- endmacro %}


{% macro delete_rebuilt_rows(condition) -%}
    {#- A pre-hook of the incremental models: deletes the rows this build recomputes (`condition`, over the
        table's own columns), before the recomputed rows are appended. dbt's own delete+insert deletes only
        the keys present in the new rows, so a key whose rows all went away (an order a re-delivered batch
        no longer holds, a customer-month left with no order) would stay. In a full build on an existing
        table every row goes, and all are inserted again. -#}
    {%- if incremental_build() -%}
        delete from {{ this }} where {{ condition }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{% macro record_build(results) -%}
    {#- Run by on-run-end: a build that ran every incremental model and the tests that read only the
        rows the build changed (macros/tests_of_changed_rows.sql), with nothing failed or skipped, becomes the
        state the next build compares with. typed_orders may be left out when no batch changed (Dagster then
        builds only what is downstream of the changed dimension files). -#}
    {%- if not execute or target.type != 'duckdb' or not state_exists('status') -%}{{ return('') }}{%- endif -%}
    {%- set incremental = incremental_models() -%}
    {%- if not (incremental | select('in', selected_resources) | list) -%}{{ return('') }}{%- endif -%}
    {%- set no_batch_changed = run_query("select count(*) from " ~ state_table('changed_batches')).columns[0].values()[0] == 0 -%}
    {%- set required = (incremental | reject('equalto', 'model.analytics.typed_orders') | list if no_batch_changed else incremental)
        + changed_rows_tests() -%}
    {%- set ran_ok = results | selectattr('status', 'in', ['success', 'pass', 'warn']) | map(attribute='node.unique_id') | list -%}
    {#- Exposures (the ML team's assets, models/_exposures.yml) are listed by `dbt build` as skipped: not a node
        that failed. -#}
    {%- set failed = results | rejectattr('node.resource_type', 'equalto', 'exposure')
        | rejectattr('status', 'in', ['success', 'pass', 'warn']) | list -%}
    {%- set missing = required | reject('in', ran_ok) | list -%}
    {%- if failed or missing -%}
        {{ log("order batches: build incomplete (" ~ (missing | join(", ") or "a node failed")
            ~ "): the next build recomputes everything", info=true) }}
        {{ return('') }}
    {%- endif -%}
    create or replace table {{ state_table('built_batches') }} as
        select batch, fingerprint from {{ state_table('landed_batches') }};
    create or replace table {{ state_table('built_customers') }} as
        select customer_id from {{ model_relation('stg_customers') }};
    create or replace table {{ state_table('built_products') }} as
        select product_id from {{ model_relation('stg_products') }};
    update {{ state_table('status') }} set complete = true
{%- endmacro %}


{% macro changed_batch_names() -%}
    {#- The changed batches as literals: a constant filter on `batch` lets DuckDB read only their files. -#}
    {%- set names = run_query("select batch from " ~ state_table('changed_batches') ~ " order by batch").columns[0].values() | list -%}
    {%- set quoted = [] -%}
    {%- for name in names -%}{%- do quoted.append(sql_string(name) | trim) -%}{%- endfor -%}
    {{- return(quoted | join(", ") if quoted else "null") -}}
{%- endmacro %}


{% macro rebuilt_keys(keys, affected, dimension=none, columns=[]) -%}
    {#- The keys an incremental mart recomputes: the `keys` columns (mart_key_columns) of the affected
        lines (affected_keys), and, for a mart with one row per dimension row, the keys whose row in the
        dimension (`columns` of it, as the mart shows them) differs from the mart's. -#}
    select distinct {{ keys | join(", ") }} from {{ affected }}
    where {% for column in keys %}{{ column }} is not null{{ " and " if not loop.last }}{% endfor %}
    {%- if dimension is not none %}
    union
    select {{ keys | join(", ") }} from (
        (select {{ columns | join(", ") }} from {{ dimension }} except select {{ columns | join(", ") }} from {{ this }})
        union all
        (select {{ columns | join(", ") }} from {{ this }} except select {{ columns | join(", ") }} from {{ dimension }})
    ) as changed_rows
    {%- endif %}
{%- endmacro %}


{% macro rebuilt_keys_table(mart=none) -%}
    {#- The table (of schema build_state) where an incremental mart's pre-hook stores the keys this build
        recomputes: of the model being built, or of the mart named `mart`. -#}
    {{- return('rebuilt_' ~ (mart or this.identifier)) -}}
{%- endmacro %}


{% macro mart_key_columns(meta=none) -%}
    {#- The key columns of an incremental mart, from its `meta.rebuilt_keys` (the model being built's, or `meta`). -#}
    {%- set key = (meta or config.get('meta'))['rebuilt_keys']['key'] -%}
    {{- return([key] if key is string else key) -}}
{%- endmacro %}


{% macro mart_rebuilt_keys() -%}
    {#- The keys this incremental build of the mart recomputes, as a query (read by the mart's body): its
        pre-hook stored them, computed once, from its config `meta.rebuilt_keys` ({key: a column or a list,
        dimension: the model with one row per key, columns: the dimension's columns the mart shows}). The
        config is read only when the build is an incremental one: at parse time it is not set yet. -#}
    {{- return("select " ~ mart_key_columns() | join(", ") ~ " from " ~ state_table(rebuilt_keys_table())) -}}
{%- endmacro %}


{% macro rebuilt_months_start() -%}
    {#- For a monthly mart's incremental build: the first month among the keys it recomputes, as a date
        literal. The key filter already implies it; as a constant, DuckDB also skips the row groups of
        older lines by their min/max order_date (checked_orders is written batch by batch, so its row
        groups follow the order dates). -#}
    {%- set first = run_query("select min(month) from " ~ ref('affected_keys')).columns[0].values()[0] -%}
    {{- return("date '" ~ first ~ "'" if first is not none else "null") -}}
{%- endmacro %}


{% macro delete_rebuilt_mart_rows() -%}
    {#- The pre-hook of an incremental mart: stores the keys of rebuilt_keys (the mart's body reads them,
        and so do its tests that say `where: __rebuilt_keys__`), then delete_rebuilt_rows for them. -#}
    {%- if incremental_build() -%}
        {%- set spec = config.get('meta')['rebuilt_keys'] -%}
        {%- set dimension = ref(spec['dimension']) if spec.get('dimension') else none -%}
        {%- set columns = mart_key_columns() -%}
        create or replace table {{ state_table(rebuilt_keys_table()) }} as
        {{ rebuilt_keys(columns, ref('affected_keys'), dimension, spec.get('columns', [])) }};
        {{ delete_rebuilt_rows('(' ~ columns | join(', ') ~ ') in (' ~ mart_rebuilt_keys() ~ ')') }}
    {%- else -%}
        {{- delete_rebuilt_rows(none) -}}
    {%- endif -%}
{%- endmacro %}


{% macro check_batch_file(file, src, problems) -%}
    {#- The checks of one batch file on DuckDB: its facts read here, the checks and messages those of every
        landing file (raw_files.sql check_file_facts). -#}
    {%- set facts = {"size": run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0]} -%}
    {%- if facts.size > 0 -%}
        {%- set reader = raw_file_reader(file) | trim -%}
        {%- do facts.update({"columns": run_query("describe select * from " ~ reader).columns[0].values() | list}) -%}
        {%- do facts.update({"has_rows":
            run_query("select count(*) from (select 1 from " ~ reader ~ " limit 1)").columns[0].values()[0] > 0}) -%}
    {%- endif -%}
    {%- do check_file_facts(file, facts, src.columns.keys() | list, problems) -%}
{%- endmacro %}


{% macro raw_line_batch() -%}
    {#- The batch a raw order line came in: the column `batch` of raw.orders on both backends (on DuckDB the
        view names each line's file; on PostgreSQL the raw loader loads each batch file with its name).
        Dispatched so that another backend may name it otherwise. -#}
    {{ return(adapter.dispatch('raw_line_batch')()) }}
{%- endmacro %}

{% macro default__raw_line_batch() %}batch{% endmacro %}
