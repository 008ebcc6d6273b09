"""One line per stage of `make demo`: a command runs with its whole output in a log file, and the terminal
shows one line, `<stage>: <progress> ... done in N s`. On a terminal the line is rewritten in place as the
command reports progress (and coloured); piped, only the final line is printed, without colour.

A command reports progress by printing a line that starts with PROGRESS_PREFIX on its stdout; every
other line goes to the log only. Standard library only: the Makefile runs this file with the system
Python for the set-up stage, before any environment exists.

    python3 demo/stage.py set-up logs/setup.log -- make setup
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

PROGRESS_PREFIX = "@progress "
TICK_SECONDS = 1.0
GREEN, RED, DIM, RESET = "\033[32m", "\033[31m", "\033[2m", "\033[0m"


def colour_wanted(stream) -> bool:
    """Colour and in-place updates only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def progress(text: str) -> None:
    """Called by a command a stage runs: its progress, shown on the stage's line."""
    print(f"{PROGRESS_PREFIX}{text}", flush=True)


class StageLine:
    """The terminal line of one stage."""

    def __init__(self, label: str, log: Path, out=None):
        self.label, self.log, self.out = label, log, out or sys.stdout
        self.live = colour_wanted(self.out)
        self.started = time.perf_counter()
        self.status = "starting"
        self.lock = threading.Lock()

    def elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:.0f} s"

    def show(self, status: str | None = None) -> None:
        with self.lock:
            if status is not None:
                self.status = status
            if self.live:
                self.out.write(f"\r\033[K{self.label}: {self.status} {DIM}({self.elapsed()}){RESET}")
                self.out.flush()

    def finish(self, ok: bool, summary: str = "") -> None:
        with self.lock:
            word = "done" if ok else "FAILED"
            if self.live:
                word = f"{GREEN if ok else RED}{word}{RESET}"
                self.out.write("\r\033[K")
            tail = f" ({summary})" if summary else ""
            where = "" if ok else f"; full log: {self.log}"
            self.out.write(f"{self.label}: {word} in {self.elapsed()}{tail}{where}\n")
            self.out.flush()


def run(label: str, log: Path, command: list[str], env: dict | None = None) -> tuple[bool, str]:
    """Run `command` as one stage: (succeeded, its last progress text). The log gets everything."""
    log.parent.mkdir(parents=True, exist_ok=True)
    line = StageLine(label, log)
    line.show()
    last = ""
    stop = threading.Event()

    def tick():  # the elapsed seconds move on a terminal even while a command is silent
        while not stop.wait(TICK_SECONDS):
            line.show()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1
        )
        for text in process.stdout:
            if text.startswith(PROGRESS_PREFIX):
                last = text[len(PROGRESS_PREFIX) :].strip()
                line.show(last)
            sink.write(text)
            sink.flush()
        ok = process.wait() == 0
    stop.set()
    ticker.join()
    line.finish(ok, last)
    return ok, last


def main(argv: list[str]) -> int:
    label, log, separator, *command = argv
    if separator != "--" or not command:
        print("usage: stage.py <label> <log file> -- <command...>", file=sys.stderr)
        return 2
    ok, _ = run(label, Path(log), command)
    if not ok:  # the end of the log says why; the rest stays in the file
        print(*Path(log).read_text().splitlines()[-15:], sep="\n", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
