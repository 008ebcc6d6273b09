"""Child processes, each in its own process group, stopped together: by `make serve` and `make ui`, which
stop everything on Ctrl-C or SIGTERM however they were started."""

import contextlib
import os
import signal
import subprocess
import time

STOP_TIMEOUT_SECONDS = 30


class Processes:
    """Child processes, each in its own process group, stopped together."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], quiet: bool = False, **popen) -> subprocess.Popen:
        if not quiet:
            print(f"serve: starting {name}: {' '.join(argv)}", flush=True)
        self.running[name] = subprocess.Popen(argv, env=self.env, start_new_session=True, **popen)
        return self.running[name]

    def exited(self) -> str | None:
        for name, process in self.running.items():
            if process.poll() is not None:
                return f"{name} exited with code {process.returncode}"
        return None

    def stop(self) -> None:
        for process in self.running.values():
            signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        # A group outlives its leader when the leader exits first (a run a code server started, say).
        for process in self.running.values():
            signal_group(process, signal.SIGKILL)
            process.wait()


def signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


class Stop(Exception):
    pass


def on_signal(signum, _frame) -> None:
    raise Stop(signal.Signals(signum).name)
