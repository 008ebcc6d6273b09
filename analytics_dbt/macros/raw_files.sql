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
    {#- Run by on-run-start. Checks every raw source file and exposes it as raw.<table> with exactly the
        contract columns. Values stay as the file holds them (CSV as text): staging casts them and
        quarantines what does not cast. All problems fail the run in one message. The checks are the same
        on both backends; what each knows of a file comes from raw_file_facts (DuckDB reads the files,
        PostgreSQL what the raw loader recorded when it loaded them). -#}
    {#- `dbt docs generate` documents the project and reads the catalog of what is built: it needs no raw file,
        so `make docs` works before any build (the raw.* views of the last build stay as they are). -#}
    {%- if not execute or flags.WHICH == 'generate' -%}{{ return('') }}{%- endif -%}
    {%- set problems = [] -%}
    {%- set usable = [] -%}
    {%- set dirs = [] -%}
    {#- A source with meta `batched: true` (orders) may be a folder <table>/ of batch files (or the single
        file, one batch): on DuckDB the view raw.<table> reads them all and adds `batch` and
        `batch_fingerprint` (expose_batches), as the PostgreSQL raw loader's table has them. -#}
    {%- set batch_statements = [] -%}
    {%- for src in graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | sort(attribute='name')
        if not (src.meta or {}).get('batches_of') -%}
        {%- set facts = raw_file_facts(src.name) -%}
        {%- set stem = facts.stem -%}
        {%- do dirs.append(stem.rsplit('/', 1)[0]) -%}
        {%- set found = facts.found -%}
        {%- set expected = src.columns.keys() | list -%}
        {%- set optional = optional_columns(src.columns.values()) -%}
        {%- set batched = (src.meta or {}).get('batched', false) and target.type == 'duckdb' -%}
        {#- On PostgreSQL, the raw loader recorded the folder's batch files and the facts of each. -#}
        {%- set batches = batch_files(stem) if batched else facts.get('batch_files') or [] -%}
        {%- if batches and found -%}
            {%- do problems.append(stem ~ "/ holds batch files and " ~ found | join(" and ")
                ~ " exists too; keep either the folder of batches or the single file") -%}
        {%- elif batches and not batched -%}
            {%- for file, file_facts in postgres_batch_facts() -%}
                {%- do check_file_facts(file, file_facts, expected, optional, problems) -%}
            {%- endfor -%}
        {%- elif batches -%}
            {%- set batch_facts = duckdb_batch_facts(batches, expected, optional) -%}
            {%- for file, file_facts in batch_facts -%}
                {%- do check_file_facts(file, file_facts, expected, optional, problems) -%}
            {%- endfor -%}
            {%- do batch_statements.append(expose_batches(src.name, batches, batch_facts | map(attribute=1) | list, expected, optional)) -%}
        {%- elif facts.not_loaded -%}
            {%- do problems.append(facts.not_loaded) -%}
        {%- elif found | length == 0 -%}
            {%- do problems.append(stem ~ ".parquet (or .csv) is missing: the source system has not delivered "
                ~ src.name ~ " (for sample data run `make data`)") -%}
        {%- elif found | length > 1 -%}
            {%- do problems.append(stem ~ ": both " ~ found | join(" and ") ~ " exist; keep exactly one") -%}
        {%- elif check_file_facts(found[0], facts, expected, optional, problems) -%}
            {%- if batched -%}
                {%- do batch_statements.append(expose_batches(src.name, found, [facts], expected, optional)) -%}
            {%- else -%}
                {%- do usable.append((src.name, expected, optional, facts)) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Raw landing files in " ~ dirs | unique | join(", ") ~ " are not usable:\n  - "
            ~ problems | join("\n  - ")
            ~ "\nEach table needs exactly one non-empty <table>.parquet or <table>.csv (orders: or a folder "
            ~ "orders/ of such batch files) with the columns of models/staging/_raw__sources.yml.") }}
    {%- endif -%}
    {{ expose_raw_files(usable) }}
    {%- for statement in batch_statements %}
    {{ statement }}
    {%- endfor %}
{% endmacro %}


{% macro optional_columns(columns) -%}
    {#- The names of the contract columns a file may lack (meta `optional: true` in _raw__sources.yml). -#}
    {{- return(columns | selectattr('meta') | selectattr('meta.optional') | map(attribute='name') | list) -}}
{%- endmacro %}


{% macro check_file_facts(file, facts, expected, optional, problems) -%}
    {#- The one definition of the checks of one landing file (a snapshot, the single orders file or one batch
        file, on either backend), from its facts {size, columns, has_rows}: appends what is wrong to
        `problems`, naming the file, and returns whether the file is usable. A file may lack an `optional`
        contract column (raw.<table> then has it null). -#}
    {%- if facts.size == 0 -%}
        {%- do problems.append(file ~ " is empty (0 bytes)") -%}
        {{- return(false) -}}
    {%- elif facts.problem -%}
        {%- do problems.append(facts.problem) -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set found_columns = facts.columns -%}
    {%- set missing = expected | reject('in', found_columns) | reject('in', optional) | list -%}
    {%- set extra = found_columns | reject('in', expected) | list -%}
    {%- if missing -%}
        {%- set contract = [] -%}
        {%- for name in expected -%}{%- do contract.append(name ~ (" (optional)" if name in optional else "")) -%}{%- endfor -%}
        {%- do problems.append(file ~ " lacks column(s) " ~ missing | join(", ")
            ~ "; it has " ~ found_columns | join(", ") ~ "; the contract is " ~ contract | join(", ")) -%}
        {{- return(false) -}}
    {%- elif not facts.has_rows -%}
        {%- do problems.append(file ~ " has no rows") -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- if extra -%}
        {{ log("raw file " ~ file ~ " has column(s) outside the contract, ignored: " ~ extra | join(", "), info=true) }}
    {%- endif -%}
    {{- return(true) -}}
{%- endmacro %}


{% macro postgres_batch_facts() -%}
    {#- [(path, {size, columns, has_rows, problem})] of every batch file the raw loader recorded (raw.order_batches). -#}
    {%- set facts = [] -%}
    {%- for row in run_query("select path, size_bytes, to_json(columns)::text, has_rows, problem from raw.order_batches "
        ~ "order by batch").rows -%}
        {%- do facts.append((row[0], {"size": row[1], "columns": fromjson(row[2] or "[]"), "has_rows": row[3], "problem": row[4]})) -%}
    {%- endfor -%}
    {{- return(facts) -}}
{%- endmacro %}


{% macro raw_file_facts(table_name) -%}
    {#- What the checks need to know of the landing file of one table: {stem: <raw dir>/<table>, found:
        [files], size: bytes, columns: [names], has_rows, reader}; size, columns and has_rows of the one
        file found, when exactly one is; problem, when the file cannot be read at all. -#}
    {{ return(adapter.dispatch('raw_file_facts')(table_name)) }}
{%- endmacro %}

{% macro duckdb__raw_file_facts(table_name) -%}
    {%- set stem = raw_dir() ~ '/' ~ table_name -%}
    {%- set found = run_query(
        "select file from glob(" ~ sql_string(stem ~ '.parquet') ~ ") union all "
        ~ "select file from glob(" ~ sql_string(stem ~ '.csv') ~ ") order by file"
    ).columns[0].values() | list -%}
    {%- set facts = {"stem": stem, "not_loaded": none, "found": found} -%}
    {%- if found | length == 1 -%}
        {%- set columns = raw_columns(table_name) -%}
        {%- do facts.update(duckdb_batch_facts(found, columns | map(attribute='name') | list, optional_columns(columns))[0][1]) -%}
    {%- endif -%}
    {{ return(facts) }}
{%- endmacro %}

{% macro postgres__raw_file_facts(table_name) -%}
    {#- Recorded by the raw loader (analytics_location/raw_load.py) in raw.landing_files, one row per table,
        in the transaction that loaded raw.<table>. -#}
    {%- set facts = {"stem": env_var('WAREHOUSE_DIR', 'warehouse') ~ '/raw/' ~ table_name, "found": [], "not_loaded": none} -%}
    {%- set recorded = adapter.get_relation(database=target.database, schema='raw', identifier='landing_files') -%}
    {%- set rows = [] if recorded is none else run_query(
        "select stem, to_json(files)::text, size_bytes, to_json(columns)::text, has_rows, "
        ~ "to_json(coalesce(batch_files, '{}'))::text, problem from raw.landing_files where table_name = "
        ~ sql_string(table_name)).rows -%}
    {%- if rows | length == 0 -%}
        {%- do facts.update({"not_loaded": "raw." ~ table_name ~ " has never been loaded into PostgreSQL: run `make load-raw` "
            ~ "(it loads $WAREHOUSE_DIR/raw; in Dagster, materialize raw_" ~ table_name ~ ")"}) -%}
    {%- else -%}
        {%- set row = rows[0] -%}
        {%- do facts.update({"stem": row[0], "found": fromjson(row[1]), "size": row[2],
            "columns": fromjson(row[3] or "[]"), "has_rows": row[4], "batch_files": fromjson(row[5]), "problem": row[6]}) -%}
    {%- endif -%}
    {{ return(facts) }}
{%- endmacro %}


{% macro expose_raw_files(usable) -%}
    {{ return(adapter.dispatch('expose_raw_files')(usable)) }}
{%- endmacro %}

{% macro duckdb__expose_raw_files(usable) -%}
    {#- raw.<table> as a view on its file (a CSV file: on its lines' copy), so every build reads the file as it is now. -#}
    create schema if not exists raw;
    {%- for table_name, columns, optional, facts in usable %}
    create or replace view raw.{{ table_name }} as {{ read_landing_files([facts.path], [facts], columns, optional) }};
    {%- endfor %}
{%- endmacro %}

{% macro postgres__expose_raw_files(usable) -%}
    {#- The loader has already made raw.<table>, with every column of its file as text. -#}
{%- endmacro %}


{#- Batch folders, on DuckDB: the files are read in place, every build. -#}

{% macro batch_files(stem) -%}
    {#- The batch files of the folder <stem>/, sorted by name (the order batches arrived in). -#}
    {{- return(run_query(
        "select file from glob(" ~ sql_string(stem ~ '/*.parquet') ~ ") union all "
        ~ "select file from glob(" ~ sql_string(stem ~ '/*.csv') ~ ") order by parse_filename(file)"
    ).columns[0].values() | list) -}}
{%- endmacro %}


{% macro sql_string_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}{%- do quoted.append(sql_string(value) | trim) -%}{%- endfor -%}
    {{- return("[" ~ quoted | join(", ") ~ "]") -}}
{%- endmacro %}


{% macro duckdb_batch_facts(files, expected, optional) -%}
    {#- [(file, {size, columns, has_rows, problem, read_as})] of every file, for check_file_facts, from the
        plugin's landing_file() (analytics_location/landing_reader.py): it looks at each file before DuckDB
        reads it, and reads a CSV file's lines, malformed ones too, into the Parquet copy `read_as`. -#}
    {%- set facts = [] -%}
    {%- if files -%}
        {%- set cache = raw_dir().rsplit('/', 1)[0] ~ '/landing_cache' -%}
        {%- for row in run_query("select file, landing_file(file, " ~ sql_string_list(expected) ~ ", "
            ~ sql_string_list(optional) ~ ", " ~ sql_string(cache)
            ~ ") from unnest(" ~ sql_string_list(files) ~ ") with ordinality as listed(file, position) order by position").rows -%}
            {%- do facts.append((row[0], fromjson(row[1]))) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(facts) -}}
{%- endmacro %}


{% macro read_landing_files(files, facts, columns, optional) -%}
    {#- The contract columns of the files, has_<column> for each optional one (whether the line's file has
        it: null in the column may then mean either), `file` (the landing file each line came in) and the
        columns of its lines (landing_reader.LINE_COLUMNS: null for a Parquet file, which has rows, not lines),
        one scan of the Parquet files and one of the CSV files' copies (which hold every contract column). -#}
    {%- set parquet, copies, originals, csv_files = [], [], [], [] -%}
    {%- for file in files -%}
        {%- set read_as = facts[loop.index0].read_as -%}
        {%- if read_as == file -%}
            {%- do parquet.append(file) -%}
        {%- else -%}
            {%- do copies.append(read_as) -%}
            {%- do csv_files.append(file) -%}
            {%- do originals.append("(" ~ sql_string(read_as) ~ ", " ~ sql_string(file) ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set parquet_columns, copy_columns = [], [] -%}
    {%- for column in columns -%}
        {%- set having = [] -%}
        {%- for position in range(files | length) if column in facts[position].columns -%}
            {%- do having.append(files[position]) -%}
        {%- endfor -%}
        {#- read_parquet(union_by_name) gives null for the files without the column, when one of them has it. -#}
        {%- set in_parquet = parquet | select('in', having) | list -%}
        {%- do parquet_columns.append(column if in_parquet or column not in optional
            else "cast(null as varchar) as " ~ column) -%}
        {%- do copy_columns.append(column) -%}
        {%- if column in optional -%}
            {%- do parquet_columns.append(file_in("filename", in_parquet, parquet) ~ " as has_" ~ column) -%}
            {%- do copy_columns.append(file_in("originals.file", csv_files | select('in', having) | list, csv_files)
                ~ " as has_" ~ column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set parts = [] -%}
    {%- if parquet -%}
        {%- do parts.append("select " ~ parquet_columns | join(", ") ~ ", filename as file, cast(null as bigint) as file_line, "
            ~ "cast(null as varchar) as line_text, cast(null as varchar) as read_problem from read_parquet("
            ~ sql_string_list(parquet) ~ ", filename = true, union_by_name = true)") -%}
    {%- endif -%}
    {%- if copies -%}
        {%- do parts.append("select " ~ copy_columns | join(", ") ~ ", originals.file, file_line, line_text, read_problem "
            ~ "from read_parquet(" ~ sql_string_list(copies) ~ ", filename = true) as lines inner join (values "
            ~ originals | join(", ") ~ ") as originals(copy, file) on lines.filename = originals.copy") -%}
    {%- endif -%}
    {{- parts | join(" union all ") -}}
{%- endmacro %}


{% macro file_in(expression, subset, files) -%}
    {#- Whether `expression` (a file's name) is one of `subset` of `files`, as SQL. -#}
    {%- if not subset -%}false
    {%- elif subset | length == files | length -%}true
    {%- else -%}{{ expression }} in ({{ sql_string_list(subset)[1:-1] }})
    {%- endif -%}
{%- endmacro %}


{% macro expose_batches(table_name, files, facts, columns, optional) -%}
    {#- raw.<table>: every line of every batch file (read_landing_files), with `batch` (the file's name) and
        `batch_fingerprint` (warehouse_paths.landing_fingerprint: size and modification time in µs).
        Both are computed on the listing, one row per file, not on every line: a filter on `batch` is then
        a filter of the listing, and the join hands the file scan only the files it keeps
        (docs/daily-batches.md, "Measured"). -#}
    {%- set has = [] -%}
    {%- for column in optional -%}{%- do has.append("has_" ~ column) -%}{%- endfor %}
    create or replace view raw.{{ table_name }} as
        select lines.{{ (columns + has + ["file_line", "line_text", "read_problem"]) | join(", lines.") }},
            listing.batch,
            listing.batch_fingerprint
        from ({{ read_landing_files(files, facts, columns, optional) }}) as lines
        inner join (
            select
                filename as landed_file,
                parse_filename(filename) as batch,
                cast(size as varchar) || ':' || cast(epoch_us(last_modified) as varchar) as batch_fingerprint
            from read_blob({{ sql_string_list(files) }})
        ) as listing on lines.file = listing.landed_file;
{%- endmacro %}
