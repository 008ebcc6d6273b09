"""Which tests a selected `dbt build` runs (dbt_project.yml: flags.indirect_selection buildable): a
relationships test runs when both models it compares are selected or built before the selected ones, never
when only one side is. Dagster's automation selects subsets (only what changed), analysts select by hand."""

RELATIONSHIP = "stg_orders_product_is_staged"  # stg_orders.product_id -> stg_products


def test_one_side_of_a_relationship_builds_on_a_new_warehouse(warehouse):
    warehouse.generate(orders=2_000, seed=3)
    result = warehouse.dbt("build", "--select", "+stg_products")
    # With dbt's default (eager), the relationships test ran too and failed: stg_orders did not exist yet.
    assert result.returncode == 0, result.stdout[-3000:]
    assert RELATIONSHIP not in result.stdout


def test_the_relationship_is_checked_when_a_selection_builds_both_sides(warehouse):
    warehouse.generate(orders=2_000, seed=3)
    assert warehouse.dbt("build").returncode == 0
    # stg_products+ selects product_performance, which is built from stg_orders: both sides are buildable.
    result = warehouse.dbt("build", "--select", "stg_products+")
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"PASS {RELATIONSHIP}" in result.stdout, result.stdout[-3000:]
