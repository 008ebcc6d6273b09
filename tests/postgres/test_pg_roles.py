"""`make pg-roles` on a real server: idempotent, one clear message per way it can be called wrong, and the
privileges it grants are exactly the ones the issue names: the ML login reads the marts (also after a table
swap like dbt's) and owns schema ml, and can do nothing else."""

import os
import subprocess
import sys

import adbc_driver_manager
import pytest
from pg_logins import PgWarehouse, login_url, new_pg_warehouse
from postgres_server import free_port
from support import REPO_ROOT

from pg_roles import RolesError, apply

STATE = """
select 'role', rolname, (rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolcanlogin)::text
  from pg_roles where rolname like '{prefix}%'
union all
select 'schema', nspname, (pg_get_userbyid(nspowner), coalesce(nspacl::text, ''))::text
  from pg_namespace where nspname in ('raw', 'intermediate', 'staging', 'quarantine', 'marts', 'ml')
union all
select 'default', coalesce(defaclnamespace::regnamespace::text, ''), defaclacl::text from pg_default_acl
union all
select 'database', datname, datacl::text from pg_database where datname = current_database()
order by 1, 2
"""


def state(warehouse: PgWarehouse, prefix: str) -> list:
    return warehouse.execute(warehouse.admin_url, STATE.format(prefix=prefix))


def test_running_it_twice_leaves_the_same_state_and_sets_the_passwords(postgres_admin_url):
    warehouse = new_pg_warehouse(postgres_admin_url, "roles_twice")
    first = state(warehouse, "roles_twice")
    assert len([row for row in first if row[0] == "schema"]) == 6
    # Again, with the ML password changed in its URL: the same state, and the new password logs in.
    ml_url = login_url(warehouse.ml_url, "roles_twice_ml", "a-new-password")
    apply(warehouse.admin_url, warehouse.analytics_url, ml_url)
    assert state(warehouse, "roles_twice") == first
    assert warehouse.execute(ml_url, "select current_user") == [("roles_twice_ml",)]
    with pytest.raises(adbc_driver_manager.Error, match="password authentication failed"):
        warehouse.execute(warehouse.ml_url, "select 1")


@pytest.fixture(scope="module")
def roles(postgres_admin_url) -> PgWarehouse:
    warehouse = new_pg_warehouse(postgres_admin_url, "roles_privileges")
    statements = [f"create table {schema}.t as select 1 as x" for schema in ("raw", "staging", "quarantine")]
    statements.append("create table marts.customer_order_summary as select 1::bigint as customer_id")
    warehouse.execute(warehouse.analytics_url, *statements)
    return warehouse


def refused(warehouse: PgWarehouse, statement: str) -> bool:
    try:
        warehouse.execute(warehouse.ml_url, statement)
    except adbc_driver_manager.Error as error:
        assert getattr(error, "sqlstate", None) == "42501", error  # permission denied, not another error
        return True
    return False


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.customer_order_summary values (2)",
        "update marts.customer_order_summary set customer_id = 3",
        "delete from marts.customer_order_summary",
        "truncate marts.customer_order_summary",
        "create table marts.sneaky (x int)",
        "drop table marts.customer_order_summary",
        "select * from raw.t",
        "select * from staging.t",
        "select * from quarantine.t",
        "create table staging.sneaky (x int)",
        "create temporary table scratch (x int)",
        "create schema sneaky",
    ],
)
def test_the_ml_login_is_refused(roles, statement):
    assert refused(roles, statement)


def test_the_ml_login_reads_the_marts_also_after_a_swap_and_owns_ml(roles):
    assert roles.execute(roles.ml_url, "select count(*) from marts.customer_order_summary") == [(1,)]
    # What dbt does to rebuild a table: build it under another name, then swap and drop the old one.
    roles.execute(
        roles.analytics_url,
        "create table marts.customer_order_summary__dbt_tmp as select 7::bigint as customer_id",
        "alter table marts.customer_order_summary rename to customer_order_summary__dbt_backup",
        "alter table marts.customer_order_summary__dbt_tmp rename to customer_order_summary",
        "drop table marts.customer_order_summary__dbt_backup",
    )
    assert roles.execute(roles.ml_url, "select customer_id from marts.customer_order_summary") == [(7,)]
    roles.execute(roles.ml_url, "create table ml.features as select 1 as x", "drop table ml.features")


def run_cli(**urls) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PG_ADMIN_URL", "ANALYTICS_PG_URL", "ML_PG_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pg_roles"],
        env={**env, **urls},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_wrong_calls_end_in_one_message(roles):
    port = free_port()
    other_db = roles.ml_url.rsplit("/", 1)[0] + "/another"
    cases = {
        "lacks a password": dict(PG_ADMIN_URL="postgresql://postgres@127.0.0.1:5432/x"),
        "is not set": dict(),
        "must name the same server and database": dict(ML_PG_URL=other_db),
        "is the server running": dict(
            PG_ADMIN_URL=roles.admin_url.replace(roles.admin_url.split(":")[-1].split("/")[0], str(port)),
            ANALYTICS_PG_URL=roles.analytics_url.replace(roles.analytics_url.split(":")[-1].split("/")[0], str(port)),
            ML_PG_URL=roles.ml_url.replace(roles.ml_url.split(":")[-1].split("/")[0], str(port)),
        ),
        "password of postgres in PG_ADMIN_URL is wrong": dict(
            PG_ADMIN_URL=login_url(roles.admin_url, "postgres", "wrong")
        ),
    }
    for expected, urls in cases.items():
        given = {
            "PG_ADMIN_URL": roles.admin_url,
            "ANALYTICS_PG_URL": roles.analytics_url,
            "ML_PG_URL": roles.ml_url,
            **urls,
        }
        if expected == "is not set":
            del given["ML_PG_URL"]
        result = run_cli(**given)
        assert result.returncode == 1, (expected, result.stdout, result.stderr)
        assert expected in result.stderr, (expected, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_admin_without_createrole_is_told_and_nothing_changes(roles):
    with pytest.raises(RolesError, match=r"may not set up the roles.*Nothing was changed"):
        apply(roles.analytics_url, login_url(roles.analytics_url, "someone_new", "pw"), roles.ml_url)
    assert not roles.execute(roles.admin_url, "select 1 from pg_roles where rolname = 'someone_new'")
