"""A PostgreSQL warehouse for a test: a fresh database on the session's server (postgres_admin_url), the two
teams' logins set up in it by `make pg-roles`'s code, and the environment that selects it."""

import secrets
from dataclasses import dataclass
from pathlib import Path

import adbc_driver_postgresql.dbapi
import duckdb
from postgres_server import database_url

from pg_roles import apply
from warehouse_paths import PG_PUBLIC_SCHEMA

PUBLIC_MARTS = ("customer_order_summary", "product_performance", "customer_monthly_activity", "product_monthly_sales")


def login_url(url: str, user: str, password: str) -> str:
    """`url` (postgresql://user:password@host:port/db) with another user and password."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.split('@', 1)[1]}"


@dataclass(frozen=True)
class PgWarehouse:
    admin_url: str  # the server's superuser, on this database
    analytics_url: str
    ml_url: str

    @property
    def env(self) -> dict[str, str]:
        return {"WAREHOUSE_BACKEND": "postgres", "ANALYTICS_PG_URL": self.analytics_url, "ML_PG_URL": self.ml_url}

    def execute(self, url: str, *statements: str) -> list:
        """Runs the statements in one transaction as the login of `url`; the last one's rows (if any)."""
        with adbc_driver_postgresql.dbapi.connect(url) as con, con.cursor() as cur:
            rows = []
            for statement in statements:
                cur.execute(statement)
                rows = cur.fetchall() if cur.description else []
            con.commit()
            return rows


def new_pg_warehouse(admin_url: str, name: str) -> PgWarehouse:
    """Database `name` with logins `<name>_analytics` and `<name>_ml` (roles are server-wide: the database
    name keeps tests apart)."""
    admin = database_url(admin_url, name)
    analytics = login_url(admin, f"{name}_analytics", secrets.token_hex(8))
    ml = login_url(admin, f"{name}_ml", secrets.token_hex(8))
    apply(admin, analytics, ml)
    return PgWarehouse(admin, analytics, ml)


def copy_marts(analytics_db: Path, warehouse: PgWarehouse, marts=PUBLIC_MARTS) -> None:
    """The public marts of a DuckDB build, copied into schema marts as the analytics login, with the types
    the contract declares (DuckDB's BIGINT, DOUBLE, VARCHAR, DATE arrive as bigint, double precision, text,
    date): marts by hand, as dbt would leave them."""
    with duckdb.connect(str(analytics_db), read_only=True) as source:
        tables = {mart: source.table(f"{PG_PUBLIC_SCHEMA}.{mart}").to_arrow_table() for mart in marts}
    with adbc_driver_postgresql.dbapi.connect(warehouse.analytics_url) as con, con.cursor() as cur:
        for mart, table in tables.items():
            cur.execute(f"drop table if exists {PG_PUBLIC_SCHEMA}.{mart}")
            cur.adbc_ingest(mart, table, mode="create", db_schema_name=PG_PUBLIC_SCHEMA)
        con.commit()
