"""What makes a trained model good enough to score with: the two blocking checks every model asset carries.

- `beats_baseline`: on the held-out rows, every checked metric is better than the baseline's (the trivial rule
  the model must earn its place against).
- `no_regression`: no checked metric is worse than the previous accepted version's by more than
  REGRESSION_TOLERANCE (relative). The previous accepted version is the latest one that passed both checks:
  the model the current predictions come from.

Both are blocking: a model that fails one is stored (so its figures can be inspected) but the run scores
nothing with it, automation does not refresh its predictions, and scoring with it later refuses.

Only threshold-free metrics are checked for the churn model (ROC AUC and average precision rank every
customer, which is what the risk tiers are cut from). Precision and recall at the 0.5 cut are shown beside the
rule's, but a model and a rule that flag different numbers of customers trade one for the other, so
neither "beats" on them."""

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

# A checked metric may be at most 5% worse than the previous accepted version's (relative: ROC AUC 0.90 may
# drop to 0.855, MAE 10.0 may rise to 10.5). Held-out metrics move from batch to batch because the held-out
# rows change; the README's ML section gives the figures behind this value.
REGRESSION_TOLERANCE = 0.05

BEATS_BASELINE = "beats_baseline"
NO_REGRESSION = "no_regression"


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    checked: bool = True  # compared against the baseline and the previous version (else shown only)

    def better(self, value: float, than: float) -> bool:
        return value > than if self.higher_is_better else value < than

    def within_tolerance(self, value: float, previous: float) -> bool:
        if self.higher_is_better:
            return value >= previous * (1 - REGRESSION_TOLERANCE)
        return value <= previous * (1 + REGRESSION_TOLERANCE)


# Per model asset: its held-out metrics, each with a `baseline_<name>` counterpart in the model's metrics.
MODEL_METRICS: dict[str, tuple[Metric, ...]] = {
    "customer_churn_model": (
        Metric("roc_auc", higher_is_better=True),
        Metric("average_precision", higher_is_better=True),
        Metric("precision", higher_is_better=True, checked=False),
        Metric("recall", higher_is_better=True, checked=False),
    ),
    "demand_forecast_model": (Metric("mae", higher_is_better=False),),
}


# The checks run in the model's own step; automation requests them whenever it requests the model, so the
# predictions can be requested in the same tick (`all_deps_blocking_checks_passed` accepts checks that will be
# requested) and follow in the same run, held back there if a check fails.
WITH_THE_MODEL = dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested())


def check_specs(asset_name: str) -> list[dg.AssetCheckSpec]:
    checked = ", ".join(m.name for m in MODEL_METRICS[asset_name] if m.checked)
    return [
        dg.AssetCheckSpec(
            BEATS_BASELINE,
            asset=asset_name,
            blocking=True,
            automation_condition=WITH_THE_MODEL,
            description=f"On the held-out rows, the model's {checked} are better than the baseline's.",
        ),
        dg.AssetCheckSpec(
            NO_REGRESSION,
            asset=asset_name,
            blocking=True,
            automation_condition=WITH_THE_MODEL,
            description=(
                f"No checked metric ({checked}) is more than {REGRESSION_TOLERANCE:.0%} worse than the previous "
                "accepted version's (the latest that passed both checks)."
            ),
        ),
    ]


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def beats_baseline(asset_name: str, metrics: Mapping[str, float]) -> dg.AssetCheckResult:
    checked = [m for m in MODEL_METRICS[asset_name] if m.checked]
    losing = [m for m in checked if not m.better(metrics[m.name], metrics[f"baseline_{m.name}"])]
    figures = ", ".join(f"{m.name} {fmt(metrics[m.name])} vs {fmt(metrics['baseline_' + m.name])}" for m in checked)
    if losing:
        description = (
            f"Not better than the baseline on {', '.join(m.name for m in losing)} ({figures}): its predictions "
            "were not refreshed. Look at the features and the training data before scoring with it."
        )
    else:
        description = f"Better than the baseline on every checked metric ({figures})."
    return dg.AssetCheckResult(
        check_name=BEATS_BASELINE,
        passed=not losing,
        description=description,
        metadata={m.name: dg.MetadataValue.float(round(metrics[m.name], 4)) for m in checked}
        | {f"baseline_{m.name}": dg.MetadataValue.float(round(metrics[f"baseline_{m.name}"], 4)) for m in checked},
    )


def no_regression(
    asset_name: str,
    metrics: Mapping[str, float],
    previous: tuple[int, Mapping[str, float]] | None,
    accepted_by_hand: bool = False,
) -> dg.AssetCheckResult:
    """`previous`: (version, metrics) of the previous accepted version, or None. `accepted_by_hand`: the run's
    config says to accept this version whatever its figures against the previous one (a known change in the
    data)."""
    if previous is None:
        return dg.AssetCheckResult(
            check_name=NO_REGRESSION,
            passed=True,
            description="No previous accepted version to compare with: this is the first.",
        )
    version, before = previous
    checked = [m for m in MODEL_METRICS[asset_name] if m.checked and m.name in before]
    worse = [m for m in checked if not m.within_tolerance(metrics[m.name], before[m.name])]
    figures = ", ".join(f"{m.name} {fmt(metrics[m.name])} (v{version}: {fmt(before[m.name])})" for m in checked)
    if worse and accepted_by_hand:
        description = f"Accepted by run config (accept_regression) although worse than v{version} ({figures})."
    elif worse:
        description = (
            f"Worse than v{version} beyond the {REGRESSION_TOLERANCE:.0%} tolerance on "
            f"{', '.join(m.name for m in worse)} ({figures}): its predictions were not refreshed, they stay "
            f"from v{version}. If a known change in the data explains it, accept this model by materializing it "
            "again with run config `ops: {" + asset_name + ": {config: {accept_regression: true}}}`."
        )
    else:
        description = f"Within {REGRESSION_TOLERANCE:.0%} of v{version} on every checked metric ({figures})."
    return dg.AssetCheckResult(
        check_name=NO_REGRESSION,
        passed=not worse or accepted_by_hand,
        description=description,
        metadata={"previous_version": dg.MetadataValue.text(f"v{version}"), "tolerance": REGRESSION_TOLERANCE}
        | {f"previous_{m.name}": dg.MetadataValue.float(round(before[m.name], 4)) for m in checked},
    )


def comparison_table(
    asset_name: str, metrics: Mapping[str, float], previous: tuple[int, Mapping[str, float]] | None
) -> dg.MetadataValue:
    """Model vs baseline (and the previous accepted version) per metric, side by side, rounded; every cell
    short, so the table fits the asset's Overview."""
    previous_metrics = previous[1] if previous else {}
    records = [
        dg.TableRecord(
            {
                "metric": m.name,
                "model": round(metrics[m.name], 4),
                "baseline": round(metrics[f"baseline_{m.name}"], 4),
                "previous": fmt(previous_metrics.get(m.name)),
                "better": "higher" if m.higher_is_better else "lower",
                "checked": "yes" if m.checked else "no",
            }
        )
        for m in MODEL_METRICS[asset_name]
    ]
    version = f"v{previous[0]}" if previous else "none yet"
    return dg.MetadataValue.table(
        records=records,
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("metric", "string"),
                dg.TableColumn("model", "float", description="held-out value of this version"),
                dg.TableColumn("baseline", "float", description="the baseline's on the same held-out rows"),
                dg.TableColumn("previous", "string", description=f"the previous accepted version's ({version})"),
                dg.TableColumn("better", "string", description="which way is better"),
                dg.TableColumn("checked", "string", description="yes: the blocking checks compare it; no: shown only"),
            ]
        ),
    )
