"""`python -m bench --backend postgres`: `ours` once more, on a PostgreSQL warehouse (WAREHOUSE_BACKEND=postgres),
on the same raw files as the DuckDB methods; its figures go under the `postgres` key of the results.

The server: the one of ANALYTICS_PG_URL and ML_PG_URL when both are set (their logins must exist, as `make
pg-roles` makes them; the run replaces that database's raw tables, marts and ML tables), else a throwaway
server started as the tests start theirs (tests/postgres_server.py: its defaults, fsync off, bound to
127.0.0.1) with both logins made by pg_roles, and removed afterwards.
Stages, each its own process, timed from outside (bench/measure.py):
  load      the raw files into schema raw (`python -m analytics_location.raw_load`, as `make load-raw`)
  marts     `dbt build --target postgres` (after the same two no-op builds that time dbt's start-up)
  features  the ML features through Dagster, read from the server as the ML login
and from dbt's own run_results.json: dbt's elapsed time, every model's seconds and the publish hook's.
"""

import importlib.util
import json
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import measure
from warehouse_paths import ANALYTICS_PG_URL_ENV, ML_PG_URL_ENV, WAREHOUSE_BACKEND_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
DATABASE = "bench"


def _test_server_module():
    """tests/postgres_server.py, the one definition of how a throwaway server is started here."""
    spec = importlib.util.spec_from_file_location("postgres_server", REPO_ROOT / "tests" / "postgres_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def warehouse_urls() -> Iterator[tuple[str, str]]:
    """(analytics URL, ML URL): the ones in the environment, or two new logins on a throwaway server."""
    given = os.environ.get(ANALYTICS_PG_URL_ENV), os.environ.get(ML_PG_URL_ENV)
    if all(given):
        yield given
        return
    from pg_roles import apply

    server = _test_server_module()
    with server.postgres_server() as admin_url:
        database_url = server.database_url(admin_url, DATABASE)
        host = database_url.split("@", 1)[1]
        analytics_url = f"postgresql://bench_analytics:{secrets.token_hex(8)}@{host}"
        ml_url = f"postgresql://bench_ml:{secrets.token_hex(8)}@{host}"
        apply(database_url, analytics_url, ml_url)
        yield analytics_url, ml_url


def dbt_nodes(run_results: Path) -> dict:
    """dbt's elapsed seconds and each model's and hook's seconds, from its run_results.json."""
    results = json.loads(run_results.read_text())
    nodes = {
        result["unique_id"].split(".")[-1]: round(result["execution_time"], 2)
        for result in results["results"]
        if result["unique_id"].startswith(("model.", "operation."))
    }
    return {
        "dbt_target": results["args"].get("target"),
        "dbt_elapsed_s": round(results["elapsed_time"], 2),
        "nodes_s": nodes,
    }


def bench_postgres(dbt: list[str], env: dict, here: Path, limits: dict) -> dict:
    """`dbt` is the DuckDB run's dbt build command, `env` its environment; returns the `postgres` result."""
    from bench.__main__ import summarise  # the one way a method's runs become its result

    python = [sys.executable, "-m"]
    with warehouse_urls() as (analytics_url, ml_url):
        env = {**env, WAREHOUSE_BACKEND_ENV: "postgres", ANALYTICS_PG_URL_ENV: analytics_url, ML_PG_URL_ENV: ml_url}
        target = here / "dbt_target_postgres"
        dbt = [*dbt, "--target", "postgres"]
        dbt[dbt.index("--target-path") + 1] = str(target)
        dbt[dbt.index("--log-path") + 1] = str(here / "dbt_logs_postgres")
        load = measure.run([*python, "analytics_location.raw_load"], "load", env=env, **limits)
        runs = [load]
        if load.ok:
            for _ in range(2):
                startup = measure.run([*dbt, "--select", "path:models/nothing_here"], "startup", env=env, **limits)
            runs.append(measure.run(dbt, "marts", env=env, **limits))
        if all(run.ok for run in runs):
            runs.append(measure.run([*python, "bench.ours", "features"], "features", env=env, **limits))
        result = summarise(*runs)
        if len(runs) > 1:
            result["dbt_startup_s"] = round(startup.stages[0].seconds, 2)
        if (target / "run_results.json").exists():
            result.update(dbt_nodes(target / "run_results.json"))
        return result


def print_postgres(result: dict) -> None:
    stages = "  ".join(f"{name} {stage['s']} s" for name, stage in result["stages"].items())
    print(
        f"\nours on PostgreSQL: {'ok' if result['ok'] else result['problem']}; total {result['total_s']} s ({stages})"
    )
    if "nodes_s" in result:
        slowest = sorted(result["nodes_s"].items(), key=lambda item: -item[1])[:5]
        print(f"  dbt's elapsed {result['dbt_elapsed_s']} s; slowest: " + ", ".join(f"{n} {s} s" for n, s in slowest))
