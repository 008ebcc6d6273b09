{#- The few expressions DuckDB and PostgreSQL spell differently, dispatched on the adapter. Everything
    else in the models is SQL both run alike. Each postgres__ version gives the result the duckdb__ one
    gives, so the marts and the quarantine are the same on both backends (tests/postgres). -#}

{% macro try_cast(expression, contract_type) -%}
    {{ return(adapter.dispatch('try_cast')(expression, contract_type)) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, contract_type) -%}
    try_cast({{ expression }} as {{ contract_type }})
{%- endmacro %}

{% macro postgres__try_cast(expression, contract_type) -%}
    {#- PostgreSQL 15 has neither try_cast nor pg_input_is_valid (16+). A value in the plain form every
        clean file has is cast directly (fast, cannot fail); anything else goes to the functions that
        create_try_cast_functions() makes, which read it as DuckDB's try_cast does, or give null. The raw
        tables hold text (the loader writes every column as DuckDB reads it as text). -#}
    {%- set plain = {
        "bigint": "^\\s*[+-]?[0-9]{1,18}\\s*$",
        "integer": "^\\s*[+-]?[0-9]{1,9}\\s*$",
        "double": "^\\s*[+-]?[0-9]{1,15}(\\.[0-9]{1,15})?\\s*$",
        "date": "^\\s*[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)\\s*$",
    } -%}
    {#- Most values are digits only: translate() tells them apart several times faster than a regular
        expression (docs/benchmarks.md, PostgreSQL), and they are a subset of the plain form. -#}
    {%- set digits_only = {"bigint": 18, "integer": 9, "double": 15} -%}
    {%- if contract_type == "varchar" -%}
        cast({{ expression }} as varchar)
    {%- elif contract_type in plain -%}
        case
            {%- if contract_type in digits_only %}
            when translate(cast({{ expression }} as text), '0123456789', '') = ''
                and length(cast({{ expression }} as text)) between 1 and {{ digits_only[contract_type] }}
                then cast({{ expression }} as {{ sql_type(contract_type) }})
            {%- endif %}
            when cast({{ expression }} as text) ~ '{{ plain[contract_type] }}' then cast({{ expression }} as {{ sql_type(contract_type) }})
            else {{ target.schema }}.try_cast_{{ contract_type }}(cast({{ expression }} as text))
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("try_cast: no PostgreSQL reading for contract type " ~ contract_type) }}
    {%- endif -%}
{%- endmacro %}


{% macro sql_type(contract_type) -%}
    {#- A contract type (models/staging/_raw__sources.yml) as a type name both dialects know. -#}
    {{- {"double": "double precision"}.get(contract_type, contract_type) -}}
{%- endmacro %}


{% macro create_try_cast_functions() -%}
    {{ return(adapter.dispatch('create_try_cast_functions')()) }}
{%- endmacro %}

{% macro default__create_try_cast_functions() -%}
{%- endmacro %}

{% macro postgres__create_try_cast_functions() -%}
    {#- In the target schema, which the analytics login owns; parallel restricted, as a subtransaction
        (the exception block) cannot start in a parallel worker. What they accept follows DuckDB 2.0's
        try_cast (README: How raw values are read): a number may have digit-group underscores, an integer
        reads any number and rounds it half away from zero ('2.5' -> 3, '1e1' -> 10; cast_checks rejects
        the non-integers), a double reads nan and the infinities ('1e400' too), and a date is year-month-day
        with - or /, and maybe a time of day (PostgreSQL alone would also read 'yesterday', '20240105' or
        'Jan 5 2024'). -#}
    {%- if not adapter.check_schema_exists(target.database, target.schema) %}
    create schema {{ target.schema }};
    {%- endif %}
    create or replace function {{ target.schema }}.without_digit_separators(value text) returns text
    language sql immutable parallel safe
    return regexp_replace(value, '([0-9])_(?=[0-9])', '\1', 'g');
    {%- for name, type in [("bigint", "bigint"), ("integer", "integer")] %}
    create or replace function {{ target.schema }}.try_cast_{{ name }}(value text) returns {{ type }}
    language plpgsql immutable parallel restricted as $$
    begin
        return round({{ target.schema }}.without_digit_separators(value)::numeric)::{{ type }};
    exception when others then
        return null;
    end $$;
    {%- endfor %}
    create or replace function {{ target.schema }}.try_cast_double(value text) returns double precision
    language plpgsql immutable parallel restricted as $$
    begin
        value := {{ target.schema }}.without_digit_separators(value);
        if value ~* 'x' then
            return null;  -- the C library reads hex ('0x10', '0x1p3'); DuckDB does not
        end if;
        return value::double precision;
    exception when numeric_value_out_of_range then
        -- '1e400' or '1e-400': DuckDB reads them as an infinity and as 0.
        begin
            return case when abs(value::numeric) < 1 then 0 else sign(value::numeric) * 'Infinity'::double precision end;
        exception when others then
            return null;
        end;
    when others then
        return null;
    end $$;
    create or replace function {{ target.schema }}.try_cast_date(value text) returns date
    language plpgsql immutable parallel restricted as $$
    declare
        ymd text;
    begin
        ymd := substring(value from '^\s*(-?[0-9]+-[0-9]{1,2}-[0-9]{1,2}|[0-9]+/[0-9]{1,2}/[0-9]{1,2})'
            || '((\s+|T)[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*([+-][0-9]{1,2}(:?[0-9]{2})?|Z)?)?\s*$');
        if ymd like '-%' then
            return (substr(ymd, 2) || ' BC')::date;
        elsif ymd is not null then
            return replace(ymd, '/', '-')::date;
        elsif value ~* '^\s*[+-]?inf(inity)?\s*$' then
            return case when value ~ '-' then '-infinity' else 'infinity' end::date;
        end if;
        return null;
    exception when others then
        return null;
    end $$;
{%- endmacro %}


{% macro matches_regex(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_regex')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__matches_regex(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_regex(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}


{% macro is_finite(expression) -%}
    {{ return(adapter.dispatch('is_finite')(expression)) }}
{%- endmacro %}

{% macro duckdb__is_finite(expression) -%}
    isfinite({{ expression }})
{%- endmacro %}

{% macro postgres__is_finite(expression) -%}
    {#- PostgreSQL's isfinite() takes dates and timestamps only. NaN = NaN holds in PostgreSQL. -#}
    ({{ expression }} not in ('Infinity'::double precision, '-Infinity'::double precision, 'NaN'::double precision))
{%- endmacro %}


{% macro round_half_away(expression, digits) -%}
    {#- A double rounded to `digits` decimals as DuckDB's round(double, n) rounds it: the double's exact
        binary value, half away from zero (95.845 is 95.84499999999999886 as a double: 95.84). -#}
    {{ return(adapter.dispatch('round_half_away')(expression, digits)) }}
{%- endmacro %}

{% macro duckdb__round_half_away(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_half_away(expression, digits) -%}
    {#- PostgreSQL has no round(double precision, int), and its numeric cast keeps 15 digits (95.845, which
        rounds up). So the double is taken apart exactly: x = m / 2^k, with k chosen so that m is an
        integer below 2^56 (a bigint cast of a power-of-two scaling is exact); then m * 10^n / 2^k is
        rounded half up in numeric arithmetic, which is exact. Integers (>= 2^52) and the non-finite
        are returned as they are, tiny values as 0. Checked against DuckDB on 60,000 values. -#}
    {%- set x = "cast(" ~ expression ~ " as double precision)" -%}
    {%- set k = "(54 - floor(ln(abs(" ~ x ~ ")) / ln(2)))::int" -%}
    (case
        when {{ x }} = 0 or abs({{ x }}) >= 4503599627370496 or {{ postgres__is_finite(x) }} is not true then {{ x }}
        when abs({{ x }}) < 1e-10 then 0
        else sign({{ x }}) * cast(div(
            cast((abs({{ x }}) * power(2::double precision, {{ k }}))::bigint as numeric) * 2 * {{ 10 ** digits }}
                + power(2::numeric, {{ k }}),
            power(2::numeric, {{ k }} + 1)
        ) as double precision) / {{ 10 ** digits }}
    end)
{%- endmacro %}


{% macro reused_cte() -%}
    {#- How a CTE that several parts of a model read is evaluated: `name as {{ reused_cte() }} (...)`. -#}
    {{ return(adapter.dispatch('reused_cte')()) }}
{%- endmacro %}

{% macro duckdb__reused_cte() -%}
    {#- Recomputed by each reader: DuckDB streams it, rather than hold every row in memory at once. -#}
    not materialized
{%- endmacro %}

{% macro postgres__reused_cte() -%}
    {#- Computed once and stored (in memory up to work_mem, then on disk): PostgreSQL inlines a CTE into
        each place that reads it and evaluates every expression again there, row by row, so a cast or a
        check read twice costs twice (docs/benchmarks.md, PostgreSQL). -#}
    materialized
{%- endmacro %}
