{% macro order_line_key() -%}
    {#- The one definition of what identifies an order line within its order (docs/order-lines.md), as the
        expressions to group, partition or order by after order_id: its line_number when its file has the
        column (the same product may then be on several lines), else its product_id. A valid line has a
        null line_number only when its file lacks the column, so a file without line numbers keys its lines
        exactly as before, and a line with a number never matches one without. -#}
    {{- return(["line_number", "case when line_number is null then product_id end"]) -}}
{%- endmacro %}
