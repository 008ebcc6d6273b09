"""`make pg-roles`: the two teams' logins on a PostgreSQL warehouse, their schemas and what each may do.

The analytics login (ANALYTICS_PG_URL) owns the schemas dbt builds (raw ... marts) and may create schemas
and temporary tables; the ML login (ML_PG_URL) owns schema `ml`, may read `marts` (its current tables and,
through default privileges, every table the analytics login creates there later, so a read survives
dbt's table swaps) and nothing else: no other analytics schema, no temporary tables, no write in `marts`.
Both names and passwords come from the two URLs; PG_ADMIN_URL is a login allowed to create roles. Every
statement creates or sets to a fixed state, so running it again changes nothing."""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import sql

from warehouse_paths import PG_ANALYTICS_SCHEMAS, PG_ML_SCHEMA, PG_PUBLIC_SCHEMA

ADMIN_URL_ENV = "PG_ADMIN_URL"


class RolesError(Exception):
    """One message naming what is wrong and what to do."""


@dataclass(frozen=True)
class Login:
    variable: str  # the environment variable the URL came from, for messages
    user: str
    password: str
    host: str
    port: int
    database: str

    @property
    def server(self) -> tuple[str, int, str]:
        return (self.host, self.port, self.database)


def parse(variable: str, url: str | None, *, password_required: bool = True) -> Login:
    """A postgresql://user:password@host:port/database URL, or one message saying what it lacks."""
    shape = "postgresql://user:password@host:port/database"
    if not url:
        raise RolesError(f"{variable} is not set: set it to {shape}.")
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = None
    lacking = [
        what
        for what, value in (
            ("the scheme postgresql://", parts.scheme in ("postgresql", "postgres")),
            ("a user", parts.username),
            ("a password", parts.password or not password_required),
            ("a host", parts.hostname),
            ("a valid port", port),
            ("a database", parts.path.strip("/")),
        )
        if not value
    ]
    if lacking:
        raise RolesError(f"{variable} lacks {', '.join(lacking)}: it must look like {shape}.")
    return Login(
        variable,
        unquote(parts.username),
        unquote(parts.password or ""),
        parts.hostname,
        port,
        unquote(parts.path.strip("/")),
    )


def check_logins(admin: Login, analytics: Login, ml: Login) -> None:
    servers = {login.variable: login.server for login in (admin, analytics, ml)}
    if len(set(servers.values())) > 1:
        where = "; ".join(f"{variable} -> {host}:{port}/{db}" for variable, (host, port, db) in servers.items())
        raise RolesError(
            f"The three URLs must name the same server and database, and they do not ({where}). "
            "Both teams work in one database: fix the host, port or database of the one that differs."
        )
    reserved = [login.variable for login in (analytics, ml) if login.user.startswith("pg_")]
    if reserved:
        raise RolesError(f"{', '.join(reserved)}: PostgreSQL reserves role names starting with pg_; use another user.")
    names = [admin.user, analytics.user, ml.user]
    if len(set(names)) < 3:
        raise RolesError(
            f"{admin.variable}, {analytics.variable} and {ml.variable} must be three different logins (users "
            f"{', '.join(names)}): the analytics and ML logins get only their own team's privileges."
        )


def connect(admin: Login, url: str):
    try:
        connection = psycopg2.connect(url, connect_timeout=10)
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "no reason given"
        if "password authentication failed" in str(error):
            advice = f"the password of {admin.user} in {admin.variable} is wrong"
        elif "does not exist" in str(error):
            advice = f"create the database {admin.database} first, or name an existing one in all three URLs"
        else:
            advice = f"is the server running, and does it accept connections on {admin.host}:{admin.port}?"
        raise RolesError(
            f"Cannot connect to {admin.host}:{admin.port}/{admin.database} as {admin.user} ({admin.variable}): "
            f"{reason} -- {advice}."
        ) from error
    connection.autocommit = False  # everything below in one transaction: all of it, or nothing
    return connection


def statements(database: str, analytics: Login, ml: Login, existing_roles: set[str]) -> list[sql.Composable]:
    """The whole target state, as statements that each leave the same state however often they run."""
    a, m = sql.Identifier(analytics.user), sql.Identifier(ml.user)
    db = sql.Identifier(database)
    out: list[sql.Composable] = []
    for login, ident in ((analytics, a), (ml, m)):
        verb = "alter" if login.user in existing_roles else "create"
        out.append(
            sql.SQL(verb + " role {} login nosuperuser nocreatedb nocreaterole noinherit password {}").format(
                ident, sql.Literal(login.password)
            )
        )
    out += [
        # Every new login may otherwise create temporary tables (granted to PUBLIC): only analytics may.
        sql.SQL("revoke temporary on database {} from public").format(db),
        sql.SQL("grant connect, temporary, create on database {} to {}").format(db, a),
        sql.SQL("grant connect on database {} to {}").format(db, m),
        sql.SQL("revoke temporary, create on database {} from {}").format(db, m),
    ]
    for schema in PG_ANALYTICS_SCHEMAS:
        s = sql.Identifier(schema)
        out += [
            sql.SQL("create schema if not exists {} authorization {}").format(s, a),
            sql.SQL("alter schema {} owner to {}").format(s, a),
            sql.SQL("revoke all on schema {} from public").format(s),
            sql.SQL("revoke all on schema {} from {}").format(s, m),
            sql.SQL("revoke all on all tables in schema {} from {}").format(s, m),
        ]
    marts = sql.Identifier(PG_PUBLIC_SCHEMA)
    out += [
        sql.SQL("grant usage on schema {} to {}").format(marts, m),
        sql.SQL("grant select on all tables in schema {} to {}").format(marts, m),
        sql.SQL("alter default privileges for role {} in schema {} grant select on tables to {}").format(a, marts, m),
    ]
    ml_schema = sql.Identifier(PG_ML_SCHEMA)
    out += [
        sql.SQL("create schema if not exists {} authorization {}").format(ml_schema, m),
        sql.SQL("alter schema {} owner to {}").format(ml_schema, m),
        sql.SQL("revoke all on schema {} from public").format(ml_schema),
    ]
    return out


def apply(admin_url: str | None, analytics_url: str | None, ml_url: str | None) -> list[str]:
    """Bring the server to the target state; returns a line per login and schema for the user."""
    from warehouse_paths import ANALYTICS_PG_URL_ENV, ML_PG_URL_ENV

    admin = parse(ADMIN_URL_ENV, admin_url)
    analytics = parse(ANALYTICS_PG_URL_ENV, analytics_url)
    ml = parse(ML_PG_URL_ENV, ml_url)
    check_logins(admin, analytics, ml)
    connection = connect(admin, admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select rolname from pg_roles where rolname in (%s, %s)", (analytics.user, ml.user))
            existing = {name for (name,) in cursor.fetchall()}
            for statement in statements(admin.database, analytics, ml, existing):
                cursor.execute(statement)
        connection.commit()
    except psycopg2.errors.InsufficientPrivilege as error:
        raise RolesError(
            f"{admin.user} ({ADMIN_URL_ENV}) may not set up the roles: {str(error).strip().splitlines()[0]}. "
            "Use a login with CREATEROLE that owns (or may create) the schemas, e.g. the server's superuser. "
            "Nothing was changed."
        ) from error
    except psycopg2.Error as error:
        raise RolesError(
            f"The server refused setting up the roles: {str(error).strip().splitlines()[0]}. Nothing was changed."
        ) from error
    finally:
        connection.close()
    return [
        f"{analytics.user}: owns schemas {', '.join(PG_ANALYTICS_SCHEMAS)} in {admin.database}",
        f"{ml.user}: reads {PG_PUBLIC_SCHEMA} (now and after every rebuild), owns {PG_ML_SCHEMA}, nothing else",
    ]
