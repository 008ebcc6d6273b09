"""A raw file that is missing, empty or wrongly shaped fails `dbt build` at once, with one message that
names the file and what is wrong with it."""

import pytest

GOOD = {
    "customers.csv": "customer_id,name,email,signup_date,tier\n1,Ada,ada@example.com,2024-01-01,basic",
    "products.csv": "product_id,product,category,cost,retail_price,supplier\n10,Lamp,home,4.0,10.0,Acme",
    "orders.csv": "order_id,customer_id,product_id,quantity,price,order_date\n100,1,10,1,10.0,2024-03-01",
}

CASES = {
    "missing": ({"orders.csv": None}, "orders.parquet (or .csv) is missing"),
    "zero_bytes": ({"orders.csv": ""}, "orders.csv is empty (0 bytes)"),
    "header_only": ({"orders.csv": GOOD["orders.csv"].splitlines()[0]}, "orders.csv has no rows"),
    "missing_column": (
        {"orders.csv": "order_id,customer_id,product_id,quantity,order_date\n1,1,10,1,2024-03-01"},
        "orders.csv lacks column(s) price",
    ),
    "two_formats": ({"customers.parquet": "not used"}, "customers: both"),
}


@pytest.mark.parametrize("case", CASES)
def test_unusable_raw_file_fails_the_build_naming_it(warehouse, case):
    changes, expected = CASES[case]
    for name, text in {**GOOD, **changes}.items():
        if text is not None:
            warehouse.write_raw(name, text)

    result = warehouse.dbt("build")

    assert result.returncode != 0
    assert "Raw landing files in " in result.stdout
    assert expected in result.stdout, result.stdout[-2000:]
    assert "OK created" not in result.stdout  # it stopped before building anything


def test_the_good_files_build(warehouse):
    for name, text in GOOD.items():
        warehouse.write_raw(name, text)
    result = warehouse.dbt("build")
    assert result.returncode == 0, result.stdout[-2000:]
