"""`make ui`: `dagster dev` over workspace.yaml, on this warehouse's Dagster instance, in the foreground.

The instance is warehouse_paths.dagster_home(): $DAGSTER_HOME, or $WAREHOUSE_DIR/dagster_home, the one
`make demo` writes its runs to, so the UI shows the runs of this warehouse and of no other. The terminal shows
the address, then warnings and errors only; everything (the daemon's ticks, each run's event log) goes to
UI_LOG (default $WAREHOUSE_DIR/logs/ui.log, beside the demo's logs), rewritten at each start. Not in the
instance's logs/ folder: that one is Dagster's, whose telemetry uploader moves its files away and deletes them
(telemetry off or not), and the log the terminal named would be gone.

`dagster dev` and everything it starts (webserver, daemon, code servers, runs) run in a process group of their
own, stopped together on Ctrl-C or SIGTERM, however this was started: from a terminal, from a script, in the
background (where a shell starts it with SIGINT ignored)."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from serve.instance import prepare
from serve.ports import port_holder, port_in_use
from serve.processes import Processes, Stop, on_signal
from warehouse_paths import dagster_home, warehouse_dir

TOOLS = Path(sys.executable).parent
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
# The lines of dagster dev's output the terminal shows: log records at WARNING and above (coloured or not),
# and the webserver's "Serving dagster-webserver on ..." once it listens.
SHOWN = re.compile(r" - (.\[[0-9;]*m)?(WARNING|ERROR|CRITICAL)(.\[0m)? - |Serving dagster-webserver")


def run(env: dict[str, str]) -> int:
    host, port = env.get("UI_HOST") or "127.0.0.1", env.get("UI_PORT") or "3000"
    if port_in_use(host, int(port)):
        print(
            f"make ui: port {port} is already in use by {port_holder(int(port))}: stop it, or set UI_PORT to a "
            "free port.",
            file=sys.stderr,
        )
        return 2
    home = prepare(dagster_home())
    log = Path(env.get("UI_LOG") or warehouse_dir() / "logs" / "ui.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**env, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    print(f"Dagster UI: http://{host}:{port} (ready in about 30 s; UI_PORT=n for another port). Ctrl-C stops it.")
    print(f"Warehouse {warehouse_dir()}, Dagster instance {home}.")
    print(f"This terminal shows warnings and errors; the full log is {log}.", flush=True)
    processes = Processes(env)
    try:
        dev = processes.start(
            "dagster dev",
            [str(TOOLS / "dagster"), "dev", "-w", str(WORKSPACE), "-h", host, "-p", port],
            quiet=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        with log.open("w") as written:
            for line in dev.stdout:
                written.write(line)
                written.flush()
                if SHOWN.search(line):
                    print(line, end="", flush=True)
        dev.wait()
        print(f"make ui: dagster dev exited with code {dev.returncode}; the full log is {log}.", file=sys.stderr)
        return dev.returncode or 1
    except Stop as stop:
        print(f"make ui: {stop}: stopping the UI, the daemon and the code servers.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop()


def main() -> int:
    # Installed before dagster dev starts, so that it begins with the default handlers even when this was
    # started with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        return run(dict(os.environ))
    except Stop:
        return 0


if __name__ == "__main__":
    sys.exit(main())
