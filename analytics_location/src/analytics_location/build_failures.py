"""One readable message for a failed `dbt build` run from Dagster: which checks or models failed and why,
and what dbt held back because of them (dagster-dbt's own error points at the dbt log instead)."""

from dagster_dbt import DbtCliInvocation

LEDGER_FOLDER = "ledger"  # analytics_dbt/models/ledger/: what the last complete build built


DBT_FRAMES = ("Encountered an error", "Compilation Error in ", "Runtime Error in ", "> in macro", "> called by")


def explain_failed_build(invocation: DbtCliInvocation, error: Exception) -> str | None:
    """The failure in words; None when there are none better than dagster-dbt's own."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except FileNotFoundError:
        return dbt_stopped(str(error))
    return explain_results(invocation, results)


def dbt_stopped(error: str) -> str | None:
    """dbt stopped before any node (unusable raw files, say): its own message, as dagster-dbt quotes it from
    dbt's log, without dagster-dbt's preamble (the command, the exit code) or dbt's macro call stack."""
    _, found, quoted = error.partition("Errors parsed from dbt logs:")
    lines = [line.strip() for line in quoted.splitlines() if line.strip() and not line.strip().startswith(DBT_FRAMES)]
    return "\n".join(lines) if found and lines else None


def explain_results(invocation: DbtCliInvocation, results: list[dict]) -> str | None:
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
