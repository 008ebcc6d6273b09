"""One readable message for a failed `dbt build` run from Dagster: which checks or models failed and why,
and what dbt held back because of them (dagster-dbt's own error points at the dbt log instead)."""

from dagster_dbt import DbtCliInvocation

LEDGER_FOLDER = "ledger"  # analytics_dbt/models/ledger/: what the last complete build built


def explain_failed_build(invocation: DbtCliInvocation) -> str | None:
    """None when dbt wrote no run results (it stopped before any node, e.g. on unusable raw files):
    then dagster-dbt's error, which quotes dbt's own message, is the clearest there is."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except FileNotFoundError:
        return None
    nodes = invocation.manifest["nodes"]
    problems, held_back, ledger_held = [], [], False
    for result in results:
        node = nodes.get(result["unique_id"], {})
        name = node.get("name", result["unique_id"])
        if result["status"] in ("fail", "error") and node.get("resource_type") == "test":
            guarded = nodes.get(node.get("attached_node") or "", {}).get("name", "?")
            if result["status"] == "error":  # the test query itself failed
                problems.append(f"- check {name} on {guarded} could not run: {result['message']}")
            else:
                meta = node.get("config", {}).get("meta") or {}
                why = node.get("description") or meta.get("description") or result["message"]
                problems.append(
                    f"- check {name} on {guarded} failed ({result['failures']} failing rows): {why.strip()}"
                )
        elif result["status"] in ("fail", "error"):
            problems.append(f"- {node.get('resource_type', 'node')} {name} failed: {result['message']}")
        elif result["status"] == "skipped" and node.get("resource_type") == "model":
            # The ledger (models/ledger/) is bookkeeping: held back, it keeps the last complete build's.
            if LEDGER_FOLDER in node.get("fqn", [])[1:-1]:
                ledger_held = True
            else:
                held_back.append(name)
    if not problems:
        return None
    lines = ["dbt build failed:", *problems]
    if held_back:
        lines.append(f"Not built, so that nothing downstream uses data that failed: {', '.join(sorted(held_back))}.")
    if ledger_held:
        lines.append("The next build takes up the same changes again, from the last complete build.")
    lines.append(f"Full dbt output: {invocation.target_path / 'dbt.log'}")
    return "\n".join(lines)
