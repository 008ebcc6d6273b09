{% macro order_line_key() -%}
    {#- The one definition of what identifies an order line within its order (docs/order-lines.md), as the
        expressions to group, partition or order by after order_id: its line_number when its file has the
        column (the same product may then be on several lines), else its product_id. A valid line has a
        null line_number only when its file lacks the column, so a file without line numbers keys its lines
        exactly as before, and a line with a number never matches one without. -#}
    {{- return(["line_number", "case when line_number is null then product_id end"]) -}}
{%- endmacro %}


{% macro orders_units_revenue(order_lines, keys) -%}
    {#- Per `keys` (a product, or a product and month): the orders containing it, counted once however many of
        their lines hold it, and units and revenue summed over every line. Lines without a line number are
        one per (order, product), so counting them counts orders; only lines with one need a distinct count,
        which costs DuckDB many times a count (docs/order-lines.md): split, a file without line numbers
        never pays it. (An order holding a product on a line with a number and on one without,
        which only a folder mixing both kinds of file can hold, counts twice, as its lines do: see
        order_line_key.) -#}
    {%- set by = keys | join(', ') -%}
    select {{ by }}, cast(sum(orders) as bigint) as orders, sum(units_sold) as units_sold, sum(revenue) as revenue
    from (
        select {{ by }}, count(*) as orders, sum(quantity) as units_sold, sum(amount) as revenue
        from {{ order_lines }} where line_number is null group by {{ by }}
        union all
        select {{ by }}, count(distinct order_id) as orders, sum(quantity) as units_sold, sum(amount) as revenue
        from {{ order_lines }} where line_number is not null group by {{ by }}
    ) as by_kind_of_line
    group by {{ by }}
{%- endmacro %}
