import pytest
from analytics_login import create_analytics_login
from postgres_server import database_url


@pytest.fixture(scope="module")
def analytics_pg_url(postgres_admin_url, request) -> str:
    """A fresh database for the test module, with the analytics login owning the analytics schemas."""
    name = request.module.__name__.rsplit(".", 1)[-1].lower()
    return create_analytics_login(database_url(postgres_admin_url, name), role=f"analytics_{name}")
