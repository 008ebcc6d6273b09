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
        staging casts them and quarantines what does not cast. All problems fail the run in one message. -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set dir = raw_dir() -%}
    {%- set problems = [] -%}
    {%- set views = [] -%}
    {%- for src in graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | sort(attribute='name') -%}
        {%- set stem = dir ~ '/' ~ src.name -%}
        {%- set found = run_query(
            "select file from glob(" ~ sql_string(stem ~ '.parquet') ~ ") union all "
            ~ "select file from glob(" ~ sql_string(stem ~ '.csv') ~ ") order by file"
        ).columns[0].values() | list -%}
        {%- if found | length == 0 -%}
            {%- do problems.append(stem ~ ".parquet (or .csv) is missing: the source system has not delivered "
                ~ src.name ~ " (for sample data run `make data`)") -%}
        {%- elif found | length > 1 -%}
            {%- do problems.append(stem ~ ": both " ~ found | join(" and ") ~ " exist; keep exactly one") -%}
        {%- else -%}
            {%- set file = found[0] -%}
            {%- set size = run_query("select size from read_blob(" ~ sql_string(file) ~ ")").columns[0].values()[0] -%}
            {%- if size == 0 -%}
                {%- do problems.append(file ~ " is empty (0 bytes)") -%}
            {%- else -%}
                {%- if file.endswith('.csv') -%}
                    {%- set reader = "read_csv(" ~ sql_string(file) ~ ", header = true, all_varchar = true)" -%}
                {%- else -%}
                    {%- set reader = "read_parquet(" ~ sql_string(file) ~ ")" -%}
                {%- endif -%}
                {%- set found_columns = run_query("describe select * from " ~ reader).columns[0].values() | list -%}
                {%- set expected = src.columns.keys() | list -%}
                {%- set missing = expected | reject('in', found_columns) | list -%}
                {%- set extra = found_columns | reject('in', expected) | list -%}
                {%- if missing -%}
                    {%- do problems.append(file ~ " lacks column(s) " ~ missing | join(", ")
                        ~ "; it has " ~ found_columns | join(", ") ~ "; the contract is " ~ expected | join(", ")) -%}
                {%- elif run_query("select count(*) from (select 1 from " ~ reader ~ " limit 1)").columns[0].values()[0] == 0 -%}
                    {%- do problems.append(file ~ " has no rows") -%}
                {%- else -%}
                    {%- if extra -%}
                        {{ log("raw file " ~ file ~ " has column(s) outside the contract, ignored: " ~ extra | join(", "), info=true) }}
                    {%- endif -%}
                    {%- do views.append("create or replace view raw." ~ src.name ~ " as select "
                        ~ expected | join(", ") ~ " from " ~ reader) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Raw landing files in " ~ dir ~ " are not usable:\n  - "
            ~ problems | join("\n  - ")
            ~ "\nEach table needs exactly one non-empty <table>.parquet or <table>.csv with the columns of "
            ~ "models/staging/_raw__sources.yml.") }}
    {%- endif -%}
    create schema if not exists raw;
    {{ views | join(";\n") }}
{% endmacro %}
