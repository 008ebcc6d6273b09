"""The analytics team's login on a test database.

STAND-IN, to be replaced at merge by wip-pgml's `make pg-roles` (issue 13): until it exists, this small
script makes what the tests of the dbt side need from it: a login role that owns the schemas the dbt
project and the raw loader write (raw, intermediate, staging, quarantine, marts)."""

import secrets

import psycopg2

from warehouse_paths import PG_ANALYTICS_SCHEMAS as ANALYTICS_SCHEMAS


def create_analytics_login(database_url: str, role: str = "analytics") -> str:
    """Creates `role` (if it does not exist) owning the analytics schemas of the database at `database_url`
    (a superuser URL); returns the role's URL to that database."""
    password = secrets.token_hex(8)
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_roles where rolname = %s", [role])
            if cursor.fetchone() is None:
                cursor.execute(f'create role "{role}" login password %s', [password])
            else:
                cursor.execute(f'alter role "{role}" password %s', [password])
            for schema in ANALYTICS_SCHEMAS:
                cursor.execute(f'create schema if not exists "{schema}" authorization "{role}"')
    finally:
        connection.close()
    scheme, rest = database_url.split("://", 1)
    return f"{scheme}://{role}:{password}@{rest.split('@', 1)[1]}"
