{#- A reader must see the public marts of one whole build. On DuckDB the build holds the warehouse file
    from its first model to its last, so no reader sees a build half done. On PostgreSQL readers never wait
    for writers, and dbt commits model by model: between a build's first and last mart the server would hold
    marts of two builds. So there dbt builds and tests the marts in schema marts_build, and the on-run-end
    hook publishes the marts that built and passed their blocking tests into schema marts, all in one
    transaction (docs/reliability.md). -#}

{% macro build_schema(schema) -%}
    {{ return(adapter.dispatch('build_schema')(schema)) }}
{%- endmacro %}

{% macro default__build_schema(schema) -%}
    {{ return(schema) }}
{%- endmacro %}

{% macro postgres__build_schema(schema) -%}
    {{ return(published_schema() ~ '_build' if schema == published_schema() else schema) }}
{%- endmacro %}

{% macro published_schema() -%}
    {{ return('marts') }}
{%- endmacro %}


{% macro publish_marts(results) -%}
    {{ return(adapter.dispatch('publish_marts')(results)) }}
{%- endmacro %}

{% macro default__publish_marts(results) -%}
{%- endmacro %}

{% macro postgres__publish_marts(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {#- A mart whose blocking (error) test failed stays unpublished: readers keep its last good table. -#}
    {%- set failed = [] -%}
    {%- for result in results
        if result.node.resource_type in ('test', 'unit_test') and result.status in ('fail', 'error') -%}
        {%- do failed.extend(result.node.depends_on.nodes) -%}
    {%- endfor -%}
    {%- set marts = [] -%}
    {%- for result in results
        if result.node.resource_type == 'model' and result.node.config.schema == published_schema()
        and result.status == 'success' and result.node.unique_id not in failed -%}
        {%- do marts.append(result.node.alias) -%}
    {%- endfor -%}
    {%- if not marts -%}{{ return('') }}{%- endif -%}
    {{ log("Publishing " ~ marts | join(", ") ~ " into schema " ~ published_schema() ~ " in one transaction", info=true) }}
    {%- set built, published = build_schema(published_schema()), published_schema() %}
    begin;
    {%- if not adapter.check_schema_exists(target.database, published) %}
    create schema {{ published }};
    {%- endif %}
    {#- Copy first, outside any lock readers hold; then swap each in, which waits only for reads under way. -#}
    {%- for mart in marts %}
    drop table if exists {{ published }}.{{ mart }}__publishing;
    create table {{ published }}.{{ mart }}__publishing as select * from {{ built }}.{{ mart }};
    {%- endfor %}
    {%- for mart in marts %}
    drop table if exists {{ published }}.{{ mart }};
    alter table {{ published }}.{{ mart }}__publishing rename to {{ mart }};
    {%- endfor %}
    commit;
{%- endmacro %}
