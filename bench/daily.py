"""The daily update (`python -m bench --orders N --batch M`): N order lines of history in daily batch files,
built fully once (untimed set-up), one new batch of M lines appended, then, each on the same files:

- ours_update: the plain (incremental) `dbt build`, then the ML feature assets through Dagster, as
  automation runs them after a new batch;
- ours_full: `dbt build --full-refresh`, then the same features;
- baseline: the seed's pandas design over all the files (it has no incremental path);
- floor: bench/floor.py over all the files.

After ours_update its marts and quarantine tables are copied aside and compared, row for row (EXCEPT ALL
both ways, in DuckDB), with what ours_full gives: the ratios count only if the two are equal.
With `metadata_cost`, a Dagster-run dbt build is timed at each ANALYTICS_DBT_METADATA level.
"""

import json
import os
import shutil
import sys
from contextlib import nullcontext
from pathlib import Path

import duckdb

from analytics_location.table_metadata import LEVELS, TABLE_METADATA_ENV
from bench import measure
from bench.postgres import warehouse_urls
from datagen.batches import append_batch, split_into_batches
from datagen.generate import Sizes, generate
from warehouse_paths import ANALYTICS_PG_URL_ENV, ML_PG_URL_ENV, WAREHOUSE_BACKEND_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What an incremental build must give exactly as a full refresh does: every public mart and quarantine table.
COMPARED = (
    "marts.customer_order_summary",
    "marts.product_performance",
    "marts.customer_monthly_activity",
    "marts.product_monthly_sales",
    "quarantine.rejected_orders",
    "quarantine.rejected_customers",
    "quarantine.rejected_products",
)
SLOWEST_NODES = 8
# Targets of issue 15 for the daily update, as ratios within one run.
TARGETS = {"update_over_full_time": 0.2, "update_over_baseline_time": 0.5}


def dbt_command(here: Path) -> list[str]:
    """`dbt build` on the project, its artifacts (run_results.json, the partial-parse state) in `here`."""
    project = REPO_ROOT / "analytics_dbt"
    return [
        str(BIN / "dbt"),
        "build",
        *("--project-dir", str(project), "--profiles-dir", str(project)),
        *("--target-path", str(here / "dbt_target"), "--log-path", str(here / "dbt_logs")),
    ]


def slowest_nodes(target: Path) -> tuple[float, list[dict]]:
    """dbt's own elapsed seconds and its slowest nodes (run_results.json of the build just run)."""
    results = json.loads((target / "run_results.json").read_text())
    nodes = sorted(results["results"], key=lambda node: node["execution_time"], reverse=True)
    return round(results["elapsed_time"], 2), [
        {"node": node["unique_id"], "s": round(node["execution_time"], 2), "status": node["status"]}
        for node in nodes[:SLOWEST_NODES]
    ]


def ours(dbt: list[str], here: Path, env: dict, limits: dict) -> dict:
    """One of our runs: on PostgreSQL the raw load first (`make load-raw`: only the changed batches), the dbt
    build, then the features through Dagster; with dbt's slowest nodes."""
    runs = []
    if env.get(WAREHOUSE_BACKEND_ENV) == "postgres":
        runs.append(measure.run([sys.executable, "-m", "analytics_location.raw_load"], "load", env=env, **limits))
    if all(run.ok for run in runs):
        runs.append(measure.run(dbt, "marts", env=env, **limits))
    if all(run.ok for run in runs):
        runs.append(measure.run([sys.executable, "-m", "bench.ours", "features"], "features", env=env, **limits))
    result = measure.summarise(*runs)
    if all(run.ok for run in runs):
        result["dbt_elapsed_s"], result["slowest_nodes"] = slowest_nodes(Path(dbt[dbt.index("--target-path") + 1]))
    return result


def checksums(url: str) -> dict[str, list[int]]:
    """PostgreSQL: each compared table's [row count, sum of its rows' hashes]: equal for equal multisets."""
    import psycopg2

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        found = {}
        for table in COMPARED:
            cursor.execute(
                f"select count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0) from {table} t"
            )
            found[table] = list(cursor.fetchone())
        return found


def snapshot(warehouse: Path, copy: Path) -> None:
    copy.unlink(missing_ok=True)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{warehouse / 'analytics.duckdb'}' as built (read_only)")
        for table in COMPARED:
            con.execute(f"create table {table.replace('.', '__')} as from built.{table}")


def differences(copy: Path, warehouse: Path) -> dict[str, list[int]]:
    """Per table that differs: [rows only after the update, rows only after the full refresh]."""
    found = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{copy}' as updated (read_only)")
        con.execute(f"attach '{warehouse / 'analytics.duckdb'}' as full_refresh (read_only)")
        for table in COMPARED:
            updated, full = f"updated.{table.replace('.', '__')}", f"full_refresh.{table}"
            only_updated = con.execute(f"select count(*) from (from {updated} except all from {full})").fetchall()
            only_full = con.execute(f"select count(*) from (from {full} except all from {updated})").fetchall()
            if only_updated[0][0] or only_full[0][0]:
                found[table] = [only_updated[0][0], only_full[0][0]]
    return found


def daily_ratios(result: dict) -> dict:
    update, full, baseline = result["ours_update"], result["ours_full"], result["baseline"]
    out = {}
    if update["ok"] and full["ok"]:
        out["update_over_full_time"] = round(update["total_s"] / full["total_s"], 3)
        for stage in update["stages"]:
            if stage in full["stages"]:
                out[f"update_over_full_{stage}"] = round(update["stages"][stage]["s"] / full["stages"][stage]["s"], 3)
        out["update_over_full_peak_memory"] = round(update["peak_mb"] / max(full["peak_mb"], 1), 3)
    if update["ok"] and baseline["ok"]:
        out["update_over_baseline_time"] = round(update["total_s"] / baseline["total_s"], 3)
        out["update_over_baseline_peak_memory"] = round(update["peak_mb"] / max(baseline["peak_mb"], 1), 3)
    # A target counts as met only on results equal to a full refresh's.
    out["targets_met"] = {
        name: bool(result["equal_to_full_refresh"] and name in out and out[name] <= bound)
        for name, bound in TARGETS.items()
    }
    return out


def metadata_cost(here: Path, env: dict, limits: dict) -> dict:
    """A Dagster-run `dbt build --full-refresh` (the same work each time) at each metadata level."""
    levels = {}
    for level in LEVELS:
        print(f"   Dagster-run dbt build, {TABLE_METADATA_ENV}={level}", flush=True)
        run = measure.run(
            [sys.executable, "-m", "bench.dagster_dbt", "full"],
            "dagster_dbt_build",
            env={**env, TABLE_METADATA_ENV: level},
            **limits,
        )
        levels[level] = measure.summarise(run)
        counted = [line for line in run.output.splitlines() if line.startswith("materialized")]
        levels[level]["assets"] = counted[-1] if counted else ""
    if all(levels[level]["ok"] for level in LEVELS):
        none = levels["none"]["total_s"]
        for level in LEVELS:
            levels[level]["over_none_s"] = round(levels[level]["total_s"] - none, 2)
    return levels


def bench_daily(
    orders: int,
    batch: int,
    batches: int,
    work: Path,
    seed: int,
    limits: dict,
    bad_rate: float | None,
    keep: bool,
    with_metadata_cost: bool = False,
    backend: str = "duckdb",
) -> dict:
    here = work / f"daily-{orders}-{batch}"
    shutil.rmtree(here, ignore_errors=True)
    warehouse = here / "warehouse"
    raw = warehouse / "raw"
    print(f"\n== daily update: {orders:,} order lines of history in {batches} batch files (seed {seed})", flush=True)
    generate(raw, Sizes.for_orders(orders), seed=seed, **({} if bad_rate is None else {"bad_rate": bad_rate}))
    split_into_batches(raw, batches, seed, "parquet")
    with warehouse_urls() if backend == "postgres" else nullcontext((None, None)) as (analytics_url, ml_url):
        env = {**os.environ, "WAREHOUSE_DIR": str(warehouse)}
        dbt = dbt_command(here)
        if backend == "postgres":
            env |= {WAREHOUSE_BACKEND_ENV: "postgres", ANALYTICS_PG_URL_ENV: analytics_url, ML_PG_URL_ENV: ml_url}
            dbt = [*dbt, "--target", "postgres"]
        result = update_and_full(orders, batch, batches, here, seed, limits, env, dbt)
        result["backend"] = backend
    return others(result, here, raw, limits, keep, with_metadata_cost, env, warehouse)


def update_and_full(orders, batch, batches, here, seed, limits, env, dbt) -> dict:
    """The set-up build, one appended batch, then ours_update and ours_full on it, compared."""
    warehouse = Path(env["WAREHOUSE_DIR"])
    raw = warehouse / "raw"
    postgres = env.get(WAREHOUSE_BACKEND_ENV) == "postgres"

    print("   set-up (untimed): the first, full build of the history and its features", flush=True)
    setup = ours(dbt, here, env, limits)
    if not setup["ok"]:
        raise SystemExit(f"the set-up build of the history failed: {setup['problem']}")
    appended = append_batch(raw, batch, seed)
    print(f"   appended {appended.name} ({batch:,} order lines)", flush=True)
    result: dict = {"orders": orders, "batch": batch, "batches": batches + 1, "seed": seed}

    print("   ours_update (incremental dbt build, then the features through Dagster)", flush=True)
    result["ours_update"] = ours(dbt, here, env, limits)
    if result["ours_update"]["ok"]:
        if postgres:
            updated = checksums(env[ANALYTICS_PG_URL_ENV])
        else:
            snapshot(warehouse, here / "after_update.duckdb")
    print("   ours_full (dbt build --full-refresh, then the features through Dagster)", flush=True)
    result["ours_full"] = ours([*dbt, "--full-refresh"], here, env, limits)
    if result["ours_update"]["ok"] and result["ours_full"]["ok"]:
        if postgres:
            full = checksums(env[ANALYTICS_PG_URL_ENV])
            result["differences"] = {t: [updated[t], full[t]] for t in COMPARED if updated[t] != full[t]}
        else:
            result["differences"] = differences(here / "after_update.duckdb", warehouse)
        result["equal_to_full_refresh"] = not result["differences"]
    else:
        result["differences"], result["equal_to_full_refresh"] = {}, False
    return result


def others(result, here, raw, limits, keep, with_metadata_cost, env, warehouse) -> dict:
    """The baseline and the floor on the same files, the ratios, and the optional metadata cost."""

    print("   baseline (pandas + pickles, over every batch file)", flush=True)
    store = here / "pickles"
    store.mkdir()
    python = [sys.executable, "-m"]
    runs = [measure.run([*python, "bench.baseline", "marts", str(raw), str(store)], "marts", **limits)]
    if runs[0].ok:
        runs.append(measure.run([*python, "bench.baseline", "features", str(raw), str(store)], "features", **limits))
    result["baseline"] = measure.summarise(*runs)
    print("   floor (DuckDB SQL, one process, over every batch file)", flush=True)
    result["floor"] = measure.summarise(
        measure.run([*python, "bench.floor", str(raw), str(here / "floor.duckdb")], "startup", **limits)
    )
    result["ratios"] = daily_ratios(result)
    if with_metadata_cost:
        result["dagster_dbt_metadata"] = metadata_cost(here, env, limits)
    if keep:
        result["warehouse"] = str(warehouse)
    else:
        shutil.rmtree(here, ignore_errors=True)
    return result
