{#- Fails on every line key (order_id and order_line_key()) that occurs more than once. A test of its own
    because a test's arguments are rendered without the project's macros: the key is written once. -#}
{% test unique_order_lines(model) %}
{{ test_unique_combination(model, ['order_id'] + order_line_key()) }}
{% endtest %}
