"""dbt unit tests see no dbt graph, so checked_orders' unit tests are given the raw orders contract
(an override of the raw_columns macro). It must stay the contract of models/staging/_raw__sources.yml,
or they would test casts the build no longer does."""

import yaml
from support import DBT_PROJECT_DIR


def test_checked_orders_unit_tests_use_the_raw_contract():
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_raw__sources.yml").read_text())
    [raw] = [source for source in sources["sources"] if source["name"] == "raw"]
    [orders] = [table for table in raw["tables"] if table["name"] == "orders"]
    contract = [{"name": c["name"], "data_type": c["data_type"]} for c in orders["columns"]]

    unit_tests = yaml.safe_load((DBT_PROJECT_DIR / "models/intermediate/checked_orders.yml").read_text())["unit_tests"]
    assert unit_tests
    for unit_test in unit_tests:
        assert unit_test["overrides"]["macros"]["raw_columns"] == contract, unit_test["name"]
