"""`python -m bench --tpch-shape`: `make demo`'s two stages on a shop of TPC-H's scale factor 1 shape -- 6.0M
order lines with line numbers, 150,000 customers, 200,000 products, seven years -- each stage timed, with the peak
memory of its process tree (an upper bound of every process in it): the analytics location (raw files -> dbt
marts) and the ML location (features -> models -> predictions), each in its own interpreter as workspace.yaml
says, as `make demo` runs them (demo/materialize_location.py). Also each model's held-out metrics, so a change
that makes the ML stage cheaper can be seen not to make it worse. `--tpch-scale` scales the sizes."""

import json
import os
import shutil
from pathlib import Path

import duckdb

from bench import measure
from bench.measure import summarise
from bench.tpch_raw import write_tpch_raw
from datagen.generate import Sizes, generate
from demo.__main__ import RUNNER, locations

# TPC-H at scale factor 1: lineitem rows, customers, parts; orders span 1992-1998.
SF1 = Sizes(orders=6_000_000, customers=150_000, products=200_000)
YEARS = 7
MODELS = ("customer_churn_model", "demand_forecast_model")


def bench_catalogue(
    work: Path, seed: int, limits: dict, scale: float = 1.0, keep: bool = False, data: str = "datagen"
) -> dict:
    """`data`: "datagen" (python -m datagen at SF1's sizes times `scale`) or "tpchgen" (TPC-H itself at
    scale factor `scale`, bench/tpch_raw.py)."""
    here = work / "tpch_shape"
    shutil.rmtree(here, ignore_errors=True)
    warehouse = here / "warehouse"
    if data == "tpchgen":
        print(f"\n== TPC-H scale factor {scale:g} from tpchgen-cli, mapped onto the raw contract", flush=True)
        rows = write_tpch_raw(warehouse / "raw", scale, here)
        sizes = {"orders": rows["orders"], "customers": rows["customers"], "products": rows["products"]}
        result = {"data": f"tpchgen-cli, scale factor {scale:g}", "sizes": sizes, "stages": {}}
    else:
        sizes = Sizes(*(max(1, round(n * scale)) for n in (SF1.orders, SF1.customers, SF1.products)))
        print(
            f"\n== TPC-H shape: {sizes.orders:,} order lines, {sizes.customers:,} customers, {sizes.products:,} "
            f"products, {YEARS} years: generating raw files (seed {seed})",
            flush=True,
        )
        generate(warehouse / "raw", sizes, seed=seed, years=YEARS, line_numbers=True)
        result = {"data": "python -m datagen", "sizes": sizes.__dict__, "seed": seed, "stages": {}}
    result["sizes"] |= {"years": YEARS}
    # An ephemeral Dagster instance per stage (no DAGSTER_HOME): the warehouse is what is measured.
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | {"WAREHOUSE_DIR": str(warehouse)}
    for name, module, python in locations():
        print(f"   {name} location (as make demo runs it)", flush=True)
        run = measure.run([python, str(RUNNER), module, name], name, env=env, **limits)
        result["stages"][name] = summarise(run)
        if not run.ok:
            break
    stages = result["stages"]
    if all(stage["ok"] for stage in stages.values()) and len(stages) == 2:
        result["ml_over_analytics_time"] = round(stages["ml"]["total_s"] / stages["analytics"]["total_s"], 2)
    result["metrics"] = model_metrics(warehouse / "ml.duckdb")
    if not keep:
        shutil.rmtree(here, ignore_errors=True)
    return result


def model_metrics(path: Path) -> dict:
    """Each model's held-out metrics from its latest training, as ml.duckdb stored them."""
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()}
        return {
            model: json.loads(
                con.execute(f"select metrics from {model} order by trained_at desc limit 1").fetchone()[0]
            )
            for model in MODELS
            if model in tables
        }


def print_catalogue(result: dict) -> None:
    sizes = result["sizes"]
    print(
        f"\nTPC-H shape, {result['data']} ({sizes['orders']:,} lines, {sizes['customers']:,} customers, "
        f"{sizes['products']:,} products, {sizes['years']} years)"
    )
    for name, stage in result["stages"].items():
        status = "" if stage["ok"] else f"  did not finish: {stage['problem']}"
        print(f"  {name + ' location':<22}{stage['total_s']:>8.1f} s{stage['peak_mb']:>9,} MB peak{status}")
    if "ml_over_analytics_time" in result:
        print(f"  ML stage / analytics stage: {result['ml_over_analytics_time']}")
    for model, metrics in result["metrics"].items():
        shown = {k: round(v, 4) for k, v in metrics.items() if not k.startswith(("train_", "test_", "churn_"))}
        print(f"  {model}: " + ", ".join(f"{k} {v}" for k, v in shown.items()))
