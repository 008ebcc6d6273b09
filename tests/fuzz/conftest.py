"""The fuzzer's hypothesis settings.

Two hypothesis profiles: `ci` (the default, in `make test`: FUZZ_EXAMPLES random examples, 24 by default)
and `fuzz` (`make fuzz`: FUZZ_EXAMPLES random examples, 500 by default). Failing examples are kept in
.hypothesis/ at the repo root (not committed) and replayed first on the next run, in either profile."""

import os

from hostile_raw import REPO_ROOT
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_common = {
    "deadline": None,  # one example is a whole dbt build
    "database": DirectoryBasedExampleDatabase(REPO_ROOT / ".hypothesis" / "examples"),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 24)), **_common)
settings.register_profile("fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 500)), **_common)
settings.load_profile(os.environ.get("FUZZ_PROFILE", "ci"))
