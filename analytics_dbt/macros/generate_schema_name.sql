{#- Schemas are the layer names (intermediate, staging, marts, quarantine) exactly, not dbt's <target>_<custom>
    default: the ML location and analysts query `marts.customer_order_summary` by that name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
