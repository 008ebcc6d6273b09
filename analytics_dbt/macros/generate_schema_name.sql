{#- Schemas are the layer names (intermediate, staging, marts, quarantine) exactly, not dbt's <target>_<custom>
    default: the ML location and analysts query `marts.customer_order_summary` by that name. On PostgreSQL the
    marts are built in marts_build and published into marts at the end of the build (macros/publish_marts.sql). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ build_schema((custom_schema_name or target.schema) | trim) }}
{%- endmacro %}
