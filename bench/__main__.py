"""`python -m bench [--orders N | --scaling] [--batch M]`: the same work done three ways on the same generated
raw files, timed and measured per stage, with a printed table, bench/results.json (or bench/scaling.json) and a chart.

- baseline: the original pandas + pickle design (bench/baseline.py);
- floor: the same work as plain DuckDB SQL in one process (bench/floor.py);
- ours: `dbt build` (staging, quarantine and tests included), then the feature assets through Dagster;
  ours_extra: our models and predictions, timed but kept out of the like-for-like ratios.

With --tpch-shape, `make demo`'s two stages on a TPC-H-shaped shop instead (bench/catalogue.py); with
--tpch-data tpchgen too, on TPC-H's own data (bench/tpch_raw.py).

With --batch M, the daily update instead (bench/daily.py): N lines of history in daily batch files, one new
batch of M lines, our incremental update against our full refresh, the baseline and the floor; it goes into
the `daily` object of bench/results.json, whose other keys stay (and a run without --batch keeps `daily`);
with --scaling too, at 1M, 10M and 50M lines of history, into bench/daily_scaling.json and daily_scaling.png.
"""

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path

import psutil

from bench import measure
from bench.catalogue import bench_catalogue, print_catalogue
from bench.daily import bench_daily, dbt_command
from bench.measure import summarise
from bench.postgres import bench_postgres, print_postgres
from bench.report import chart, daily_chart, print_daily_table, print_table, ratios
from datagen.generate import Sizes, generate

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCALING_SIZES = (1_000_000, 10_000_000, 50_000_000)
MARTS = ("customer_order_summary", "product_performance")  # what every method computes before its features


def bench_size(
    orders: int,
    work: Path,
    seed: int,
    timeout: float,
    memory_cap_mb: float,
    bad_rate: float | None,
    keep: bool,
    backend: str = "duckdb",
) -> dict:
    here = work / str(orders)
    shutil.rmtree(here, ignore_errors=True)
    raw = here / "warehouse" / "raw"
    print(f"\n== {orders:,} orders: generating raw files (seed {seed})", flush=True)
    generate(raw, Sizes.for_orders(orders), seed=seed, **({} if bad_rate is None else {"bad_rate": bad_rate}))
    python = [sys.executable, "-m"]
    limits = {"timeout": timeout, "memory_cap_mb": memory_cap_mb, "cwd": REPO_ROOT}
    result = {"orders": orders, "seed": seed}

    print("   baseline (pandas + pickles)", flush=True)
    store = here / "pickles"
    store.mkdir()
    runs = [measure.run([*python, "bench.baseline", "marts", str(raw), str(store)], "marts", **limits)]
    if runs[0].ok:
        runs.append(measure.run([*python, "bench.baseline", "features", str(raw), str(store)], "features", **limits))
    result["baseline"] = summarise(*runs)

    print("   floor (DuckDB SQL, one process)", flush=True)
    result["floor"] = summarise(
        measure.run([*python, "bench.floor", str(raw), str(here / "floor.duckdb")], "startup", **limits)
    )

    print("   ours (dbt build, then Dagster assets)", flush=True)
    env = {**os.environ, "WAREHOUSE_DIR": str(here / "warehouse")}
    dbt = dbt_command(here)
    # dbt's fixed cost: the same command with nothing to build, run twice so that the second one, like
    # the build after it and like an analyst's everyday build, parses incrementally (partial parsing).
    for _ in range(2):
        startup = measure.run([*dbt, "--select", "path:models/nothing_here"], "startup", env=env, **limits)
    marts = measure.run(dbt, "marts", env=env, **limits)
    runs = [marts]
    if marts.ok:
        runs.append(measure.run([*python, "bench.ours", "features"], "features", env=env, **limits))
    result["ours"] = summarise(*runs)
    result["ours"]["dbt_startup_s"] = round(startup.stages[0].seconds, 2)
    extra = measure.run([*python, "bench.ours", "extra"], "models_and_predictions", env=env, **limits)
    result["ours_extra"] = summarise(extra)
    result["ratios"] = ratios(result)
    if backend == "postgres":
        print("   ours on PostgreSQL (raw load, dbt build, Dagster assets)", flush=True)
        result["postgres"] = bench_postgres(dbt, env, here, limits)
        print_postgres(result["postgres"])
    if keep:  # where each method's two marts are, for comparing them
        result["marts"] = {
            "baseline": {mart: str(store / f"{mart}.pkl") for mart in MARTS},
            "floor": {mart: f"{here / 'floor.duckdb'}:{mart}" for mart in MARTS},
            "ours": {mart: f"{env['WAREHOUSE_DIR']}/analytics.duckdb:marts.{mart}" for mart in MARTS},
        }
    else:
        shutil.rmtree(here, ignore_errors=True)  # the data of big sizes does not stay on disk
    return result


def machine() -> dict:
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def read_results(target: Path) -> dict:
    return json.loads(target.read_text()) if target.exists() else {}


def run_daily(args: argparse.Namespace) -> int:
    """The daily update, written into results.json's `daily` object (the file's other keys stay); with
    --scaling, at each of SCALING_SIZES, into daily_scaling.json."""
    limits = {"timeout": args.timeout, "memory_cap_mb": args.memory_cap_gb * 1000, "cwd": REPO_ROOT}
    dailies = []
    for orders in SCALING_SIZES if args.scaling else (args.orders,):
        daily = bench_daily(
            orders,
            args.batch,
            args.batches,
            args.work,
            args.seed,
            limits,
            args.bad_rate,
            args.keep,
            with_metadata_cost=args.metadata_cost,
            backend=args.backend,
        )
        daily["machine"] = machine()
        print_daily_table(daily)
        dailies.append(daily)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        target, chart_name = args.out / "daily_scaling.json", "daily_scaling.png"
        target.write_text(json.dumps({"machine": machine(), "runs": dailies}, indent=2) + "\n")
    else:
        key = "daily" if args.backend == "duckdb" else f"daily_{args.backend}"
        target, chart_name = args.out / "results.json", f"{key}.png"
        document = read_results(target)
        document[key] = dailies[0]
        target.write_text(json.dumps(document, indent=2) + "\n")
    daily_chart(dailies, args.out / chart_name)
    print(f"\nwrote {target} ({'each size' if args.scaling else f'its {key} object'}) and its chart {chart_name}")
    return 0


def run_catalogue(args: argparse.Namespace) -> int:
    """The TPC-H-shaped case, written into results.json's `tpch_shape` object, or with real TPC-H data its
    `tpch` object (the file's other keys stay)."""
    limits = {"timeout": args.timeout * 2, "memory_cap_mb": args.memory_cap_gb * 1000, "cwd": REPO_ROOT}
    result = bench_catalogue(args.work, args.seed, limits, args.tpch_scale, args.keep, args.tpch_data)
    result |= {"machine": machine()}
    key = "tpch" if args.tpch_data == "tpchgen" else "tpch_shape"
    print_catalogue(result)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "results.json"
    document = read_results(target)
    document[key] = result
    target.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {target} (its {key} object)")
    return 0 if all(stage["ok"] for stage in result["stages"].values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--scaling", action="store_true", help=f"run {', '.join(f'{n:,}' for n in SCALING_SIZES)}")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench", help="where results and the chart go")
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "bench" / ".work", help="scratch space")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one method's step may take")
    parser.add_argument("--memory-cap-gb", type=float, default=20, help="a method over this is stopped")
    parser.add_argument("--bad-rate", type=float, help="share of each kind of bad row (default: the generator's)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder; results name each method's marts")
    parser.add_argument("--batch", type=int, help="the daily update: append one batch of this many order lines")
    parser.add_argument(
        "--batches", type=int, default=100, help="with --batch: daily batch files of the history (default: %(default)s)"
    )
    parser.add_argument(
        "--metadata-cost",
        action="store_true",
        help="with --batch: also time a Dagster-run dbt build at each ANALYTICS_DBT_METADATA level",
    )
    parser.add_argument(
        "--tpch-shape",
        action="store_true",
        help="make demo's two stages at TPC-H scale factor 1's shape (6M lines, 200,000 products), into the "
        "`tpch_shape` object of results.json (its other keys stay)",
    )
    parser.add_argument(
        "--tpch-data",
        choices=("datagen", "tpchgen"),
        default="datagen",
        help="with --tpch-shape: the shop from python -m datagen, or TPC-H itself from tpchgen-cli mapped onto the "
        "raw contract (bench/tpch_raw.py), into the `tpch` object",
    )
    parser.add_argument(
        "--tpch-scale",
        type=float,
        default=1.0,
        help="with --tpch-shape: its sizes times this (tpchgen: its scale factor)",
    )
    parser.add_argument(
        "--backend",
        choices=("duckdb", "postgres"),
        default="duckdb",
        help="postgres: ours on it too; with --batch, ours' update and full build on it (instead of DuckDB)",
    )
    args = parser.parse_args(argv)
    if args.batch is not None and (args.batch < 1 or args.batches < 1):
        parser.error("--batch needs a positive number of lines and of --batches")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out is a folder (it gets results.json and the charts), and {args.out} is a file")
    if args.batch is not None and args.backend == "postgres" and args.metadata_cost:
        parser.error("--metadata-cost times Dagster-run builds on DuckDB only: leave out --backend postgres")

    if args.batch is not None:
        return run_daily(args)
    if args.tpch_shape:
        return run_catalogue(args)
    sizes = SCALING_SIZES if args.scaling else (args.orders,)
    results = []
    for orders in sizes:
        results.append(
            bench_size(
                orders,
                args.work,
                args.seed,
                args.timeout,
                args.memory_cap_gb * 1000,
                args.bad_rate,
                args.keep,
                args.backend,
            )
        )
        print_table(results[-1])
    args.out.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine(), "runs": results} if args.scaling else {"machine": machine(), **results[0]}
    target = args.out / ("scaling.json" if args.scaling else "results.json")
    if not args.scaling and "daily" in (previous := read_results(target)):
        document["daily"] = previous["daily"]  # the daily update's figures are another run's: they stay
    target.write_text(json.dumps(document, indent=2) + "\n")
    chart(results, args.out / ("scaling.png" if args.scaling else "chart.png"))
    print(f"\nwrote {target} and its chart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
