"""The ML location on a PostgreSQL warehouse (WAREHOUSE_BACKEND=postgres): connecting as the ML login with
ADBC's PostgreSQL driver, whose results arrive as Arrow (it reads with COPY ... TO STDOUT in binary), and
one clear message for each way the server can refuse.

The URL is the ML login's (ML_PG_URL): it may read the analytics team's `marts` and write its own `ml`
schema, nothing else (`make pg-roles`); the server enforces it."""

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dagster as dg

from warehouse_paths import ML_PG_URL_ENV

# SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
UNDEFINED_TABLE = "42P01"
INSUFFICIENT_PRIVILEGE = "42501"
LOCK_NOT_AVAILABLE = "55P03"


class WarehouseUnreachable(dg.Failure):
    pass


class WarehouseLoginRefused(dg.Failure):
    pass


class WarehousePermissionDenied(dg.Failure):
    pass


class WarehouseBusy(dg.Failure):
    pass


def server_of(url: str) -> str:
    """user@host:port/database, for messages: never the password."""
    parts = urlsplit(url)
    return f"{parts.username}@{parts.hostname}:{parts.port or 5432}{parts.path}"


@contextmanager
def connect(url: str) -> Iterator:
    """An ADBC connection (autocommit off: a transaction is open from the start), closed afterwards."""
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi

    try:
        connection = adbc_driver_postgresql.dbapi.connect(url)
    except adbc_driver_manager.Error as error:
        raise connect_failure(url, error) from error
    try:
        yield connection
    finally:
        connection.close()


def connect_failure(url: str, error: Exception) -> dg.Failure:
    reason = " ".join(str(error).replace("IO: [libpq] Failed to connect:", "").split())
    where = server_of(url)
    if "password authentication failed" in reason or "no password supplied" in reason:
        return WarehouseLoginRefused(
            description=(
                f"The PostgreSQL warehouse refused the ML login {where}: {reason}. Check the password in "
                f"{ML_PG_URL_ENV} (the ML team's login, created by `make pg-roles`)."
            )
        )
    return WarehouseUnreachable(
        description=(
            f"Cannot reach the PostgreSQL warehouse {where} ({ML_PG_URL_ENV}): {reason}. Check that the server "
            f"is running and that host, port and database in {ML_PG_URL_ENV} are right."
        )
    )


def permission_denied(url: str, error: Exception, doing: str) -> WarehousePermissionDenied:
    reason = " ".join(str(error).split("\n")[0].split())
    return WarehousePermissionDenied(
        description=(
            f"The ML login {server_of(url)} may not {doing}: {reason}. The analytics team's `make pg-roles` "
            "grants it reading the marts and owning schema ml; run it again (as PG_ADMIN_URL) if the grants "
            "were lost, or ask the warehouse's administrator."
        )
    )


def lock_timeout(url: str, seconds: float, tables: str) -> WarehouseBusy:
    return WarehouseBusy(
        description=(
            f"{tables} on {server_of(url)} stayed locked for {seconds:.0f} s: something holds an exclusive lock "
            "on a mart (a dbt build swaps tables in a moment; a longer hold is a stuck session or a manual "
            "ALTER/TRUNCATE). Find it in pg_stat_activity / pg_locks, end it, and retry."
        )
    )
