{% macro default__process_schema_changes(on_schema_change, source_relation, target_relation) %}
    {#- dbt's own handling of on_schema_change (dispatched: the root project's comes first), but `fail` said
        in one sentence. The incremental models of the history fail on a change of columns
        (dbt_project.yml): a warehouse built by an earlier version of the project needs one full refresh. -#}
    {%- if on_schema_change == 'fail' -%}
        {%- set changes = check_for_schema_changes(source_relation, target_relation) -%}
        {%- if changes['schema_changed'] -%}
            {%- set added = changes['source_not_in_target'] | map(attribute='name') | list -%}
            {%- set gone = changes['target_not_in_source'] | map(attribute='name') | list -%}
            {%- do exceptions.raise_compiler_error(
                target_relation.schema ~ "." ~ target_relation.identifier ~ " was built by an earlier version of this project (columns added: "
                ~ (added | join(', ') or 'none') ~ "; removed: " ~ (gone | join(', ') or 'none')
                ~ "): run `dbt build --full-refresh` once to rebuild it and what depends on it in the new shape."
            ) -%}
        {%- endif -%}
        {{ return(changes['source_columns']) }}
    {%- endif -%}
    {{ return(dbt.default__process_schema_changes(on_schema_change, source_relation, target_relation)) }}
{% endmacro %}
