"""A throwaway PostgreSQL server for tests, from Debian's server programs (package `postgresql`).

Runs as the `postgres` system user when the tests run as root (the server refuses root; CI runs as
root), in a temporary folder that user owns, on a free port bound to 127.0.0.1, with its unix socket
inside that folder. Stopped (`pg_ctl stop -m immediate`) and removed whatever happens. A test that needs
PostgreSQL fails when no server can be started: it is never skipped."""

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEBIAN_SERVER_BINARIES = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    pass


def server_bin_dir() -> Path:
    """The newest installed server version's bin/ (15 on Debian 12, 17 on Debian 13): never hard-coded."""
    found = [d for d in DEBIAN_SERVER_BINARIES.glob("*/bin") if (d / "initdb").exists() and d.parent.name.isdigit()]
    if not found:
        raise PostgresUnavailable(
            f"No PostgreSQL server programs under {DEBIAN_SERVER_BINARIES}/<version>/bin: install Debian's "
            "`postgresql` package (apt-get install postgresql; .ci/run does it when initdb is missing)."
        )
    return max(found, key=lambda d: int(d.parent.name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its superuser URL, postgresql://postgres:<password>@127.0.0.1:<port>/postgres."""
    bin_dir = server_bin_dir()
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data = folder / "data"
    password = secrets.token_hex(8)
    (folder / "pwfile").write_text(password + "\n")
    if as_root:
        account = pwd.getpwnam(SERVER_USER)
        for path in (folder, folder / "pwfile"):
            os.chown(path, account.pw_uid, account.pw_gid)

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([*run_as, *args], capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            log = folder / "server.log"
            raise PostgresUnavailable(
                f"{' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                + (f"\nserver log:\n{log.read_text()}" if log.exists() else "")
            )
        return result

    started = False
    try:
        run(
            str(bin_dir / "initdb"),
            *("-D", str(data), "-U", SERVER_USER, "--pwfile", str(folder / "pwfile")),
            *("--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8"),
        )
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} -c fsync=off"
        started = True
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start")
        yield f"postgresql://{SERVER_USER}:{password}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(
                [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"],
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(folder, ignore_errors=True)


def database_url(admin_url: str, name: str) -> str:
    """A new, empty database on the server of `admin_url`, as a plain postgresql:// URL."""
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
    finally:
        connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
