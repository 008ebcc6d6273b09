"""Shared fixtures: every test works on its own temporary warehouse, never on the repo's warehouse/."""

import subprocess
from pathlib import Path

import pytest
from postgres_server import postgres_server
from support import BIN, DBT_PROJECT_DIR, Warehouse

TESTS = Path(__file__).parent
# Folders whose tests all carry one marker; elsewhere a test is `integration` unless its module marks it `unit`.
FOLDER_MARKERS = {"ui": "ui", "reliability": "reliability", "bench": "bench", "fuzz": "fuzz", "postgres": "postgres"}
# Modules that run the whole pipeline through Dagster, or a whole deployment (minutes on 2 cores): `slow`,
# left out of test-fast.
SLOW_MODULES = {
    "test_materialize.py",
    "test_end_to_end.py",
    "test_large_catalogue.py",
    "test_cannot_train.py",
    "test_serve.py",
    "test_batch_automation.py",
    "test_daily_batches.py",
    "test_resume_after_kill.py",
    "test_dagster_on_postgres.py",
}


def pytest_sessionstart(session):
    """Parse the dbt project once per session, before any test module imports the analytics location (it
    reads the manifest at import): tests see the models as they are now, not a manifest left in
    analytics_dbt/target by an earlier `make setup`. Under pytest-xdist only the controlling process parses,
    before it starts the workers: two parses at once would write one manifest.json over the other."""
    if hasattr(session.config, "workerinput"):  # an xdist worker
        return
    parse = subprocess.run(
        [
            str(BIN / "dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if parse.returncode != 0:
        pytest.exit(f"`dbt parse` of {DBT_PROJECT_DIR} failed, so no test can run:\n{parse.stdout}{parse.stderr}", 2)


def pytest_collection_modifyitems(items):
    for item in items:
        folder = Path(item.path).relative_to(TESTS).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])
        elif item.get_closest_marker("unit") is None:
            item.add_marker("integration")
        if Path(item.path).name in SLOW_MODULES:
            item.add_marker("slow")


@pytest.fixture(autouse=True)
def no_developer_instance(monkeypatch):
    """Tests use throwaway Dagster instances, never the developer's own."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    return Warehouse(tmp_path / "warehouse")


@pytest.fixture(scope="session")
def new_warehouse(tmp_path_factory):
    """For module-scoped fixtures that build once and let several tests look: new_warehouse("name")."""
    return lambda name="warehouse": Warehouse(tmp_path_factory.mktemp(name) / "warehouse")


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A throwaway PostgreSQL server for the session (tests/postgres_server.py): its superuser URL. A test
    using it fails, never skips, when no server can be started."""
    with postgres_server() as url:
        yield url
