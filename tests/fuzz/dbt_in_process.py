"""`dbt build` in the test process, on a manifest parsed once: no process start-up and no parse per
example, which would cost more than the build of a few dozen rows."""

import functools
import os
import tempfile
from pathlib import Path

from dbt.cli.main import dbtRunner
from hostile_raw import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "analytics_dbt"


def dbt_args(command: str, artifacts) -> list[str]:
    return [
        command,
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
        *("--target-path", str(artifacts / "target"), "--log-path", str(artifacts / "logs")),
    ]


@functools.cache
def manifest():
    """Parsed once per session. Not a fixture: hypothesis would print the whole manifest with every
    failing example."""
    artifacts = Path(tempfile.mkdtemp(prefix="fuzz-dbt-"))
    result = dbtRunner().invoke([*dbt_args("parse", artifacts), "--quiet"])
    assert result.success, result.exception
    return result.result


def build(warehouse: Path):
    """`dbt build` on `warehouse` in this process (unit tests left out: they do not read the raw files)."""
    previous = os.environ.get("WAREHOUSE_DIR")
    os.environ["WAREHOUSE_DIR"] = str(warehouse)
    try:
        return dbtRunner(manifest=manifest()).invoke(
            [
                *dbt_args("build", warehouse),
                *("--exclude-resource-type", "unit_test", "--vars", "{max_rejected_share: 1}", "--quiet"),
            ]
        )
    finally:
        if previous is None:
            del os.environ["WAREHOUSE_DIR"]
        else:
            os.environ["WAREHOUSE_DIR"] = previous
