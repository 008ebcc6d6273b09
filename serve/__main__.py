"""`make serve`: what a deployment runs, in the foreground, on PostgreSQL (docs/deploy.md).

- one long-running gRPC code server per location of workspace.yaml, each started by that location's own
  interpreter (its `executable_path`), on the port serve/workspace.yaml names;
- `dagster-webserver` (on UI_HOST:UI_PORT) and `dagster-daemon` (schedules, sensors, automation, the run
  queue), from this tooling environment, on serve/workspace.yaml (gRPC entries only);
- one Dagster instance for all of them: serve/dagster.yaml (run queue, pools) plus run, event-log
  and schedule storage on the PostgreSQL database of DAGSTER_PG_URL.

Each process runs in its own process group; Ctrl-C or SIGTERM stops every group (and the runs their code
servers started), and so does any of them exiting. Without a usable DAGSTER_PG_URL nothing starts.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from serve.instance import SETTINGS
from serve.ports import port_holder, port_in_use
from serve.processes import Processes, Stop, on_signal
from serve.readiness import code_server_serving, loaded_locations

PG_URL_ENV = "DAGSTER_PG_URL"
# dagster-postgres hands the URL to SQLAlchemy, which reads a plain postgresql:// as psycopg 3 (not
# installed); serve passes every process the same database under the psycopg2 scheme, in this variable.
SQLALCHEMY_URL_ENV = "DAGSTER_PG_SQLALCHEMY_URL"
HOME_ENV = "DAGSTER_SERVE_HOME"

# Read from the directory serve runs in (the repo root; make runs it there).
LOCATIONS_WORKSPACE = Path("workspace.yaml")
GRPC_WORKSPACE = Path(__file__).with_name("workspace.yaml")
TOOLS = Path(sys.executable).parent
FIRST_GRPC_PORT = 4000
STARTUP_TIMEOUT_SECONDS = 300


class ServeError(Exception):
    """A problem the user can fix; its message says what to set or run."""


@dataclass(frozen=True)
class Location:
    name: str
    module: str
    python: Path
    port: int

    @property
    def port_env(self) -> str:
        return f"{self.name.upper()}_GRPC_PORT"


def locations(env: dict[str, str]) -> list[Location]:
    """The code locations of workspace.yaml, each with its interpreter and its gRPC port (from
    <NAME>_GRPC_PORT, default 4000, 4001, ... in workspace order)."""
    entries = [entry["python_module"] for entry in yaml.safe_load(LOCATIONS_WORKSPACE.read_text())["load_from"]]
    found = []
    for index, entry in enumerate(entries):
        name = entry["location_name"]
        port = int(env.get(f"{name.upper()}_GRPC_PORT") or FIRST_GRPC_PORT + index)
        found.append(Location(name, entry["module_name"], Path(entry["executable_path"]), port))
    for location in found:
        if not location.python.exists():
            raise ServeError(
                f"{location.python} does not exist: the `{location.name}` location's environment is missing. "
                "Run `make setup`."
            )
    return found


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def sqlalchemy_url(env: dict[str, str]) -> str:
    """DAGSTER_PG_URL, checked, under the psycopg2 scheme; the server is reached once before anything starts."""
    url = env.get(PG_URL_ENV, "").strip()
    example = "postgresql://user:password@host:5432/database"
    if not url:
        raise ServeError(
            f"{PG_URL_ENV} is not set. make serve keeps Dagster's runs, event logs and schedules in PostgreSQL: "
            f"set {PG_URL_ENV}={example} (an empty database the user may create tables in; docs/deploy.md "
            "shows how to start one)."
        )
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise ServeError(f"{PG_URL_ENV}={redacted(url)} is not a PostgreSQL URL; it must look like {example}.")
    import psycopg2  # dagster-postgres's driver

    try:
        psycopg2.connect(url, connect_timeout=5).close()
    except psycopg2.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ServeError(
            f"Cannot connect to the PostgreSQL database of {PG_URL_ENV}={redacted(url)}: {reason}. Start the "
            f"server, create the database, or correct {PG_URL_ENV} (docs/deploy.md)."
        ) from None
    return "postgresql+psycopg2://" + url.split("://", 1)[1]


def write_instance(home: Path) -> None:
    """The dev instance's settings (run queue, pools, telemetry), with storage on PostgreSQL."""
    config = yaml.safe_load(SETTINGS.read_text())
    config["storage"] = {"postgres": {"postgres_url": {"env": SQLALCHEMY_URL_ENV}}}
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(
        "# Written by `make serve` (serve/__main__.py) from serve/dagster.yaml; edit that file.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )


def create_storage(env: dict[str, str]) -> None:
    """Creates (or migrates) the instance's tables once, before any other process opens the instance: the two
    code servers, started together on a new database, raced to create them, and the loser failed to load
    with `type "run_tags" already exists`."""
    migrate = subprocess.run(
        [str(TOOLS / "dagster"), "instance", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if migrate.returncode != 0:
        lines = (migrate.stderr or migrate.stdout).strip().splitlines()
        raise ServeError(
            f"Could not create Dagster's tables in {redacted(env[PG_URL_ENV])}: {lines[-1] if lines else 'no output'}. "
            f"Check that the login of {PG_URL_ENV} may create tables in that database (docs/deploy.md)."
        )


def serve(env: dict[str, str]) -> int:
    started = time.monotonic()
    env = dict(env)
    env[SQLALCHEMY_URL_ENV] = sqlalchemy_url(env)
    found = locations(env)
    host, port = env.get("UI_HOST") or "127.0.0.1", env.get("UI_PORT") or "3000"
    wanted = [("127.0.0.1", loc.port, loc.port_env) for loc in found] + [(host, int(port), "UI_PORT")]
    for bind_host, number, variable in wanted:
        if port_in_use(bind_host, number):
            raise ServeError(
                f"port {number} ({variable}) is already in use by {port_holder(number)}: stop it, or set "
                f"{variable} to a free port."
            )
    home = Path(env.get(HOME_ENV) or ".dagster_serve").absolute()
    write_instance(home)
    env["DAGSTER_HOME"] = str(home)
    env.update({location.port_env: str(location.port) for location in found})
    create_storage(env)
    processes = Processes(env)
    try:
        for location in found:
            dagster = location.python.parent / "dagster"
            processes.start(
                f"code server `{location.name}`",
                [
                    str(dagster),
                    "code-server",
                    "start",
                    "-m",
                    location.module,
                    "--location-name",
                    location.name,
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(location.port),
                ],
            )
        wait_for("code servers", lambda: all(code_server_serving(loc.port) for loc in found), processes)
        workspace = str(GRPC_WORKSPACE)
        processes.start("webserver", [str(TOOLS / "dagster-webserver"), "-w", workspace, "-h", host, "-p", port])
        processes.start("daemon", [str(TOOLS / "dagster-daemon"), "run", "-w", workspace])
        url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
        names = {location.name for location in found}
        wait_for("the UI", lambda: names <= loaded_locations(url), processes)
        print(
            f"serve: ready in {time.monotonic() - started:.0f} s: {url} ({', '.join(sorted(names))} loaded; "
            f"instance {home}, storage {redacted(env[PG_URL_ENV])}). Ctrl-C stops everything.",
            flush=True,
        )
        while (problem := processes.exited()) is None:
            time.sleep(1)
        print(f"serve: {problem}; stopping everything.", file=sys.stderr, flush=True)
        return 1
    except Stop as stop:
        print(f"serve: {stop}: stopping everything.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop()


def wait_for(what: str, ready, processes: Processes) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not ready():
        if problem := processes.exited():
            raise ServeError(f"{problem} while waiting for {what}; its output is above.")
        if time.monotonic() > deadline:
            raise ServeError(f"{what} not ready after {STARTUP_TIMEOUT_SECONDS} s; the output above says why.")
        time.sleep(1)


def main() -> int:
    # Installed before any child starts: children then begin with the default handlers, even when serve
    # itself was started in the background with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return serve(dict(os.environ))
    except Stop:  # stopped while checking the database, before anything started
        return 0
    except ServeError as error:
        print(f"make serve: {error}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
