{#- The checks of the intermediate checked_<table> models, which type every raw row and say why it is
    rejected. A check is a pair (condition, message) in plain SQL, listed in the model; cast_checks adds
    one per contract column, and problems turns a list of them into the row's reason. -#}

{% macro typed_raw_columns(table_name) -%}
    {#- Each contract column twice: cast to its contract type (null when it does not cast) under its own
        name, and as received under raw_<name> (what quarantine keeps). -#}
    {%- for column in raw_columns(table_name) %}
        {{ try_cast(column.name, column.data_type) }} as {{ column.name }},
        {{ column.name }} as raw_{{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{% macro cast_checks(table_name) -%}
    {#- The checks every value of a contract column gets, whatever its table: (condition, message) pairs
        for problems(). DuckDB's try_cast is lenient; what it accepts and what these checks reject is
        the raw contract in docs/raw-contract.md. -#}
    {%- set checks = [] -%}
    {%- set dates = contract_date_range() -%}
    {%- set limits = contract_limits() -%}
    {%- for column in raw_columns(table_name) -%}
        {%- set name, raw = column.name, "raw_" ~ column.name -%}
        {%- set invalid = raw ~ " is not null and " ~ name ~ " is null" -%}
        {%- if column.data_type in ("bigint", "integer") -%}
            {#- try_cast rounds '2.5' (or a Parquet 2.5) to 3: a value is an integer only when it is one
                read as a number too, so '2.0' and '1e1' pass and '2.5' does not. -#}
            {%- set invalid = raw ~ " is not null and (" ~ name ~ " is null or " ~ try_cast(raw, "double")
                ~ " is distinct from cast(" ~ name ~ " as double precision))" -%}
        {%- elif column.data_type == "date" -%}
            {#- 'epoch' is the one word try_cast reads as a date (1970-01-01); 'infinity' falls outside the range. -#}
            {%- set invalid = invalid ~ " or (" ~ name ~ " = date '1970-01-01' and not "
                ~ matches_regex("cast(" ~ raw ~ " as varchar)", "^\\s*[0-9]") ~ ")" -%}
        {%- endif -%}
        {%- do checks.append((invalid, name ~ " is not a valid " ~ column.data_type)) -%}
        {%- if column.data_type == "double" -%}
            {#- NaN and the infinities are valid doubles ('nan', 'Infinity', '-inf', '1e400' in any case, or a
                Parquet double): no sum, comparison or rounding of money means anything with them. -#}
            {%- do checks.append(("not " ~ is_finite(name), name ~ " is not a finite number")) -%}
        {%- elif column.data_type == "date" -%}
            {%- do checks.append((
                name ~ " not between date '" ~ dates[0] ~ "' and date '" ~ dates[1] ~ "'",
                name ~ " is out of range (" ~ dates[0] ~ " to " ~ dates[1] ~ ")"
            )) -%}
        {%- endif -%}
        {%- if column.data_type in limits -%}
            {%- do checks.append((
                name ~ " >= " ~ limits[column.data_type] ~ " and " ~ is_finite(name),
                name ~ " is too large (" ~ "{:,}".format(limits[column.data_type]) ~ " or more)"
            )) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(checks) }}
{%- endmacro %}


{% macro contract_limits() -%}
    {#- Upper limits, by contract type: a double is money per unit (cost, retail_price, price), an integer
        a quantity of one order line. Past them a value is a typing error upstream, and a line's amount
        (quantity * price, DECIMAL(18,2)) would overflow: a price of 1e17 stopped every mart. Under them
        a line's amount is below 10^12. -#}
    {{ return({"double": 10000000, "integer": 100000}) }}
{%- endmacro %}


{% macro contract_date_range() -%}
    {#- The dates the contract accepts, first and last: try_cast reads '99999-01-01', '-2024-01-01' (a
        BC date) and 'infinity' (9999-12-31) as dates, and no order or signup of this shop is one. -#}
    {{ return(("1900-01-01", "2199-12-31")) }}
{%- endmacro %}


{% macro problems(checks) -%}
    {#- The messages of the failing (condition, message) checks, '; '-separated, or null when all pass.
        The string is only built for the rows that fail one: on millions of clean rows, assembling an
        empty one and throwing it away costs more than all the checks. -#}
    case when {% for condition, _ in checks %}({{ condition }}){{ " or " if not loop.last }}{% endfor %}
    then concat_ws('; ',
        {%- for condition, message in checks %}
        case when {{ condition }} then '{{ message }}' end{{ "," if not loop.last }}
        {%- endfor %}
    ) end
{%- endmacro %}


{% macro rejected_columns(table_name) -%}
    {#- The rejected rows' original columns, as received, under their original names. As text, so
        that a CSV and a Parquet drop give the same quarantine columns. -#}
    {%- for column in raw_columns(table_name) %}
        cast(raw_{{ column.name }} as varchar) as {{ column.name }},
    {%- endfor %}
{%- endmacro %}
