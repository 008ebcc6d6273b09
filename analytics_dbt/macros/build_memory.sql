{#- The memory one sort or hash of a model's build may use before it spills to disk. A pre-hook of every
    model (dbt_project.yml). DuckDB has one cap for the whole build, set in profiles.yml (memory_limit). -#}

{% macro build_memory() -%}
    {{ return(adapter.dispatch('build_memory')()) }}
{%- endmacro %}

{% macro default__build_memory() -%}
{%- endmacro %}

{% macro postgres__build_memory() -%}
    {#- PostgreSQL's default work_mem (4 MB) is sized for many small queries at once; a build is a few large
        ones, whose sorts and hashes spilled to disk at 4 MB. `set local` lasts for the model's transaction
        only: the login's other sessions, and the server's other users, keep the server's setting. Each
        sort or hash node may take this much (hashes twice as much, hash_mem_multiplier), and two models run
        at once (threads: 2). Override with `--vars '{postgres_work_mem: 64MB}'`. -#}
    set local work_mem = '{{ var("postgres_work_mem") }}'
{%- endmacro %}
