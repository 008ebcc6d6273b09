import json
import os
from pathlib import Path

import pytest
from reliability_setup import FIGURES, TwoDatasets


def pytest_sessionfinish(session, exitstatus):
    report = os.environ.get("RELIABILITY_REPORT")
    if report and len(FIGURES) > 1:
        Path(report).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def figures() -> dict:
    return FIGURES


@pytest.fixture(scope="module")
def two_datasets(new_warehouse, tmp_path_factory) -> TwoDatasets:
    return TwoDatasets(new_warehouse("reliability"), tmp_path_factory.mktemp("datasets"))
