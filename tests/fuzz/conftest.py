"""The fuzzer's settings and its one dbt parse.

Two hypothesis profiles: `ci` (the default, in `make test`: FUZZ_EXAMPLES random examples, 24 by default)
and `fuzz` (`make fuzz`: FUZZ_EXAMPLES random examples, 500 by default). Failing examples are kept in
.hypothesis/ at the repo root (not committed) and replayed first on the next run, in either profile."""

import functools
import os
import tempfile
from pathlib import Path

from dbt.cli.main import dbtRunner
from hostile_raw import REPO_ROOT
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

DBT_PROJECT_DIR = REPO_ROOT / "analytics_dbt"

_common = {
    "deadline": None,  # one example is a whole dbt build
    "database": DirectoryBasedExampleDatabase(REPO_ROOT / ".hypothesis" / "examples"),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 24)), **_common)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 500)), **_common)
settings.load_profile(os.environ.get("FUZZ_PROFILE", "ci"))


def dbt_args(command: str, artifacts) -> list[str]:
    return [
        command,
        *("--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)),
        *("--target-path", str(artifacts / "target"), "--log-path", str(artifacts / "logs")),
    ]


@functools.cache
def dbt_manifest():
    """Parsed once per session: every example then runs `dbt build` in this process on it, skipping
    dbt's start-up (a new process and a parse) that would cost more than the build of a dozen rows.
    Not a fixture: hypothesis would print the whole manifest with every failing example."""
    artifacts = Path(tempfile.mkdtemp(prefix="fuzz-dbt-"))
    result = dbtRunner().invoke([*dbt_args("parse", artifacts), "--quiet"])
    assert result.success, result.exception
    return result.result
