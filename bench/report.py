"""The benchmark's table, ratios and chart."""

from pathlib import Path

METHODS = ("baseline", "floor", "ours", "ours_extra")
LABELS = {
    "baseline": "baseline (pandas + pickles)",
    "floor": "floor (DuckDB SQL)",
    "ours": "ours (dbt + Dagster)",
    "ours_extra": "ours_extra (models + predictions)",
}


SHORT = {"models_and_predictions": "models+preds"}


def ratios(result: dict) -> dict:
    baseline, floor, ours = result["baseline"], result["floor"], result["ours"]
    out = {}
    if baseline["ok"] and ours["ok"]:
        out["baseline_over_ours_time"] = round(baseline["total_s"] / ours["total_s"], 2)
        out["baseline_over_ours_peak_memory"] = round(baseline["peak_mb"] / max(ours["peak_mb"], 1), 2)
    if floor["ok"] and ours["ok"]:
        out["ours_over_floor_time"] = round(ours["total_s"] / floor["total_s"], 2)
        floor_marts, ours_marts = floor["stages"]["marts"]["s"], ours["stages"]["marts"]["s"]
        out["dbt_marts_over_floor_marts"] = round(ours_marts / floor_marts, 2)
        # Target: dbt's marts within 1.5x of the floor's, plus dbt's fixed start-up.
        out["dbt_marts_budget_s"] = round(1.5 * floor_marts + ours["dbt_startup_s"], 2)
        out["dbt_marts_within_budget"] = ours_marts <= out["dbt_marts_budget_s"]
    return out


def print_table(result: dict) -> None:
    stage_names = sorted({name for m in METHODS for name in result[m]["stages"]}, key=_stage_order)
    header = f"{'orders ' + format(result['orders'], ','):<36}{'total s':>9}{'peak MB':>9}" + "".join(
        f"{SHORT.get(name, name) + ' s':>14}" for name in stage_names
    )
    print("\n" + header + "\n" + "-" * len(header))
    for method in METHODS:
        data = result[method]
        cells = "".join(f"{data['stages'][n]['s']:>13.1f}" if n in data["stages"] else f"{'':>13}" for n in stage_names)
        status = "" if data["ok"] else f"  did not finish: {data['problem']}"
        print(f"{LABELS[method]:<36}{data['total_s']:>9.1f}{data['peak_mb']:>9,}{cells}{status}")
    print("ratios: " + ", ".join(f"{k} {v}" for k, v in result["ratios"].items()))


def _stage_order(name: str) -> int:
    order = ["startup", "load", "marts", "features", "models_and_predictions"]
    return order.index(name) if name in order else len(order)


def chart(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(results), figsize=(5 * len(results), 7), squeeze=False)
    colors = {"startup": "#bbbbbb", "marts": "#4c72b0", "features": "#dd8452", "models_and_predictions": "#55a868"}
    for column, result in enumerate(results):
        time_ax, memory_ax = axes[0][column], axes[1][column]
        labels = [LABELS[m].split(" (")[0] for m in METHODS]
        bottoms = [0.0] * len(METHODS)
        for stage in colors:
            heights = [result[m]["stages"].get(stage, {}).get("s", 0) for m in METHODS]
            time_ax.bar(labels, heights, bottom=bottoms, color=colors[stage], label=stage)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        for i, m in enumerate(METHODS):
            if not result[m]["ok"]:
                time_ax.text(i, bottoms[i], "did not\nfinish", ha="center", va="bottom", fontsize=8, color="red")
        time_ax.set_title(f"{result['orders']:,} orders: wall seconds per stage")
        memory_ax.bar(labels, [result[m]["peak_mb"] for m in METHODS], color="#8172b3")
        memory_ax.set_title("peak memory (MB, whole process tree)")
        for ax in (time_ax, memory_ax):
            ax.tick_params(axis="x", labelsize=8)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


DAILY_METHODS = ("ours_update", "ours_full", "baseline", "floor")
DAILY_LABELS = {
    "ours_update": "ours_update (incremental + features)",
    "ours_full": "ours_full (--full-refresh + features)",
    "baseline": "baseline (pandas, all files)",
    "floor": "floor (DuckDB SQL, all files)",
}


def print_daily_table(daily: dict) -> None:
    stage_names = sorted({name for m in DAILY_METHODS for name in daily[m]["stages"]}, key=_stage_order)
    title = f"daily: {daily['orders']:,} + batch {daily['batch']:,}"
    header = f"{title:<40}{'total s':>9}{'peak MB':>9}" + "".join(f"{name + ' s':>12}" for name in stage_names)
    print("\n" + header + "\n" + "-" * len(header))
    for method in DAILY_METHODS:
        data = daily[method]
        cells = "".join(f"{data['stages'][n]['s']:>12.1f}" if n in data["stages"] else f"{'':>12}" for n in stage_names)
        status = "" if data["ok"] else f"  did not finish: {data['problem']}"
        print(f"{DAILY_LABELS[method]:<40}{data['total_s']:>9.1f}{data['peak_mb']:>9,}{cells}{status}")
    print(f"equal_to_full_refresh: {str(daily['equal_to_full_refresh']).lower()}", end="")
    print(f"  (tables differing: {daily['differences']})" if daily["differences"] else "")
    ratios = {k: v for k, v in daily["ratios"].items() if k != "targets_met"}
    print("ratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    met = daily["ratios"]["targets_met"]
    verdict = ", ".join(f"{k} {'met' if ok else 'not met'}" for k, ok in met.items())
    reason = "" if daily["equal_to_full_refresh"] else " (results differ from a full refresh: no target counts)"
    print(f"targets: {verdict}{reason}")
    for method in ("ours_update", "ours_full"):
        if "slowest_nodes" in daily[method]:
            # unique ids are <type>.<package>.<name>[.<hash>]: a test's ends in a hash, so the name is the third part
            nodes = ", ".join(f"{n['node'].split('.')[2]} {n['s']}" for n in daily[method]["slowest_nodes"][:5])
            print(f"{method}: dbt's own {daily[method]['dbt_elapsed_s']} s; slowest nodes: {nodes}")
    for level, data in daily.get("dagster_dbt_metadata", {}).items():
        extra = f", +{data['over_none_s']} s over none" if "over_none_s" in data else ""
        status = "" if data["ok"] else f", did not finish: {data['problem']}"
        print(f"Dagster-run dbt build, metadata {level}: {data['total_s']} s{extra}, peak {data['peak_mb']} MB{status}")


def daily_chart(dailies: list[dict], path: Path) -> None:
    """The daily update's seconds per stage and peak memory, per method: one column per history size
    (bench/daily.png for one run, bench/daily_scaling.png for --scaling)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(dailies), figsize=(5.5 * len(dailies), 7), squeeze=False)
    colors = {"startup": "#bbbbbb", "marts": "#4c72b0", "features": "#dd8452"}
    labels = [m.replace("_", "\n") for m in DAILY_METHODS]
    for column, daily in enumerate(dailies):
        time_ax, memory_ax = axes[0][column], axes[1][column]
        bottoms = [0.0] * len(DAILY_METHODS)
        for stage, color in colors.items():
            heights = [daily[m]["stages"].get(stage, {}).get("s", 0) for m in DAILY_METHODS]
            time_ax.bar(labels, heights, bottom=bottoms, color=color, label=stage)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        equal = "equal to a full refresh" if daily["equal_to_full_refresh"] else "NOT equal to a full refresh"
        time_ax.set_title(f"{daily['orders']:,} lines + a {daily['batch']:,}-line batch: wall s\n({equal})", fontsize=9)
        memory_ax.bar(labels, [daily[m]["peak_mb"] for m in DAILY_METHODS], color="#8172b3")
        memory_ax.set_title("peak memory (MB, whole process tree)", fontsize=9)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
