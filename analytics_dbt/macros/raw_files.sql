{#- The raw landing files: $WAREHOUSE_DIR/raw/<table>.parquet or .csv, next to analytics.duckdb. -#}

{% macro raw_dir() -%}
    {#- Next to the profile's warehouse file (profiles.yml: $WAREHOUSE_DIR). It must be absolute: the raw.*
        views store it and are queried from other working directories. -#}
    {%- set db_path = target.path -%}
    {%- if not db_path.startswith('/') -%}
        {{ exceptions.raise_compiler_error("WAREHOUSE_DIR must be an absolute path (the raw.* views store it); got '"
            ~ db_path.rsplit('/', 1)[0] ~ "'. Set WAREHOUSE_DIR=$PWD/" ~ db_path.rsplit('/', 1)[0] ~ " or similar.") }}
    {%- endif -%}
    {{- return(db_path.rsplit('/', 1)[0] ~ '/raw') -}}
{%- endmacro %}


{% macro raw_columns(table_name) -%}
    {#- The contract columns of source raw.<table_name>, in yml order: [{name, data_type}]. The graph
        exists only at execution time; while dbt parses, models just need to render. -#}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set matches = graph.sources.values()
        | selectattr('source_name', 'equalto', 'raw')
        | selectattr('name', 'equalto', table_name) | list -%}
    {%- if not matches -%}
        {{ exceptions.raise_compiler_error("raw_columns: no source raw." ~ table_name ~ " in _raw__sources.yml") }}
    {%- endif -%}
    {{- return(matches[0].columns.values() | list) -}}
{%- endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{% macro register_raw_files() %}
    {#- Run by on-run-start. Checks every raw source file and (re)creates raw.<table> as a view on it
        that exposes exactly the contract columns. Values stay as the file holds them (CSV as text):
        staging casts them and quarantines what does not cast. All problems fail the run in one message.
        A source with meta `batched: true` (orders) may also be a folder raw/<table>/ of batch files: the
        view has every batch, with the file's name in the column `batch` (order_batches.sql). -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set dir = raw_dir() -%}
    {%- set problems = [] -%}
    {%- set views = [] -%}
    {%- set state = [] -%}
    {%- for src in graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | sort(attribute='name') -%}
        {%- set stem = dir ~ '/' ~ src.name -%}
        {%- set batched = (src.meta or {}).get('batched', false) -%}
        {%- set found = landing_files(stem) -%}
        {%- set batches = batch_files(stem) if batched else [] -%}
        {%- if batches and found -%}
            {%- do problems.append(stem ~ "/ holds batch files and " ~ found | join(" and ")
                ~ " exists too; keep either the folder of batches or the single file") -%}
        {%- elif batches -%}
            {%- do state.append(start_order_batches(stem, batches)) -%}
            {%- for file in changed_batch_files() -%}
                {%- do check_raw_file(file, src, problems) -%}
            {%- endfor -%}
            {%- do views.append("create or replace view raw." ~ src.name ~ " as " ~ batches_reader(batches, src.columns.keys() | list)) -%}
        {%- elif found | length == 0 -%}
            {%- do problems.append(stem ~ ".parquet (or .csv) is missing: the source system has not delivered "
                ~ src.name ~ " (for sample data run `make data`)") -%}
        {%- elif found | length > 1 -%}
            {%- do problems.append(stem ~ ": both " ~ found | join(" and ") ~ " exist; keep exactly one") -%}
        {%- elif batched -%}
            {%- do state.append(start_order_batches(stem, found)) -%}
            {%- if check_raw_file(found[0], src, problems) -%}
                {%- do views.append("create or replace view raw." ~ src.name ~ " as " ~ batches_reader(found, src.columns.keys() | list)) -%}
            {%- endif -%}
        {%- else -%}
            {%- set reader = check_raw_file(found[0], src, problems) -%}
            {%- if reader -%}
                {%- do views.append("create or replace view raw." ~ src.name ~ " as select "
                    ~ src.columns.keys() | list | join(", ") ~ " from " ~ reader) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Raw landing files in " ~ dir ~ " are not usable:\n  - "
            ~ problems | join("\n  - ")
            ~ "\nEach table needs exactly one non-empty <table>.parquet or <table>.csv (orders: or a folder orders/ "
            ~ "of such batch files) with the columns of models/staging/_raw__sources.yml.") }}
    {%- endif -%}
    create schema if not exists raw;
    {{ (views + state) | join(";\n") }}
{% endmacro %}


{% macro landing_files(stem) -%}
    {#- The files <stem>.parquet and <stem>.csv that exist, sorted. -#}
    {{- return(run_query(
        "select file from glob(" ~ sql_string(stem ~ '.parquet') ~ ") union all "
        ~ "select file from glob(" ~ sql_string(stem ~ '.csv') ~ ") order by file"
    ).columns[0].values() | list) -}}
{%- endmacro %}


{% macro reader_of(file) -%}
    {%- if file.endswith('.csv') -%}
        {{- return("read_csv(" ~ sql_string(file) ~ ", header = true, all_varchar = true)") -}}
    {%- else -%}
        {{- return("read_parquet(" ~ sql_string(file) ~ ")") -}}
    {%- endif -%}
{%- endmacro %}


{% macro check_raw_file(file, src, problems) -%}
    {#- Appends what is wrong with one landing file to `problems`; returns its reader, or '' when it is
        not usable: empty, without rows, or lacking a contract column. -#}
    {%- set size = run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0] -%}
    {%- if size == 0 -%}
        {%- do problems.append(file ~ " is empty (0 bytes)") -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set reader = reader_of(file) -%}
    {%- set found_columns = run_query("describe select * from " ~ reader).columns[0].values() | list -%}
    {%- set expected = src.columns.keys() | list -%}
    {%- set missing = expected | reject('in', found_columns) | list -%}
    {%- set extra = found_columns | reject('in', expected) | list -%}
    {%- if missing -%}
        {%- do problems.append(file ~ " lacks column(s) " ~ missing | join(", ")
            ~ "; it has " ~ found_columns | join(", ") ~ "; the contract is " ~ expected | join(", ")) -%}
        {{- return('') -}}
    {%- elif run_query("select count(*) from (select 1 from " ~ reader ~ " limit 1)").columns[0].values()[0] == 0 -%}
        {%- do problems.append(file ~ " has no rows") -%}
        {{- return('') -}}
    {%- endif -%}
    {%- if extra -%}
        {{ log("raw file " ~ file ~ " has column(s) outside the contract, ignored: " ~ extra | join(", "), info=true) }}
    {%- endif -%}
    {{- return(reader) -}}
{%- endmacro %}
