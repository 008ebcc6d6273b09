"""Run a command and measure it from outside: wall seconds, and peak resident memory of its whole process
tree (the process and every child it starts, summed), sampled every 50 ms. A process that prints a line
`@stage <name>` starts a new stage, so one process can report several; a tree over `memory_cap_mb` is
killed, and reported as such, before it can take the machine down."""

import contextlib
import itertools
import subprocess
import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Stage:
    name: str
    seconds: float
    peak_mb: float


@dataclass
class Measured:
    stages: list[Stage] = field(default_factory=list)
    ok: bool = True
    problem: str = ""
    output: str = ""


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # it ended between listing and reading
            total += member.memory_info().rss
    return total


def run(
    command: list[str],
    first_stage: str,
    *,
    env: dict | None = None,
    cwd=None,
    timeout: float = 3600,
    memory_cap_mb: float = 20_000,
) -> Measured:
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    process = psutil.Process(child.pid)
    marks = [(started, first_stage)]
    samples: list[tuple[float, int]] = []
    lines: list[str] = []
    stop = threading.Event()
    result = Measured()

    def sample():
        while not stop.is_set():
            try:
                rss = tree_rss(process)
            except psutil.Error:
                break
            samples.append((time.monotonic(), rss))
            if rss > memory_cap_mb * 1e6:
                result.ok, result.problem = False, f"out of memory: over {memory_cap_mb / 1000:.0f} GB, stopped"
                child.kill()
            if time.monotonic() - started > timeout:
                result.ok, result.problem = False, f"over the time bound of {timeout:.0f} s, stopped"
                child.kill()
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in child.stdout:
        lines.append(line)
        if line.startswith("@stage "):
            marks.append((time.monotonic(), line.split(maxsplit=1)[1].strip()))
    returncode = child.wait()
    ended = time.monotonic()
    stop.set()
    sampler.join()
    result.output = "".join(lines)
    if returncode != 0 and result.ok:
        result.ok, result.problem = False, f"exit code {returncode}: {''.join(lines[-5:]).strip()}"
    bounds = [*marks, (ended, None)]
    for (begin, name), (end, _) in itertools.pairwise(bounds):
        peak = max((rss for t, rss in samples if begin <= t <= end), default=0)
        result.stages.append(Stage(name, end - begin, peak / 1e6))
    return result


def summarise(*runs: Measured) -> dict:
    stages = {
        stage.name: {"s": round(stage.seconds, 2), "peak_mb": round(stage.peak_mb)}
        for run in runs
        for stage in run.stages
    }
    failed = next((run for run in runs if not run.ok), None)
    return {
        "ok": failed is None,
        "problem": failed.problem if failed else "",
        "total_s": round(sum(stage["s"] for stage in stages.values()), 2),
        "peak_mb": max((stage["peak_mb"] for stage in stages.values()), default=0),
        "stages": stages,
    }
