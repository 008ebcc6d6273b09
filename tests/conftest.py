"""Shared fixtures: every test works on its own temporary warehouse, never on the repo's warehouse/."""

import pytest
from postgres_server import postgres_server
from support import Warehouse


@pytest.fixture(autouse=True)
def no_developer_instance(monkeypatch):
    """Tests use throwaway Dagster instances, never the developer's .dagster_home."""
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
