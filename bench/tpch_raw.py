"""Real TPC-H data, from `tpchgen-cli` (the TPC-H generator rewritten in Rust, on PyPI), mapped onto the raw
contract: `python -m bench --tpch-shape --tpch-data tpchgen`. The tables are TPC-H's own; what the contract
needs and TPC-H lacks is derived, the same way every run:

- customers: c_custkey, c_name; an email made from the name; TPC-H has no signup date, so one in the five
  years before its first order date (1992-01-01), spread by key; tier 'premium' for market segment
  AUTOMOBILE (a fifth of them), else 'basic'.
- products: p_partkey, p_name, p_type as category, p_retailprice, p_mfgr as supplier, and as cost the
  lowest ps_supplycost of the part's suppliers.
- orders: one row per lineitem: l_orderkey, o_custkey, l_partkey, l_quantity, the unit price
  l_extendedprice / l_quantity (TPC-H's p_retailprice), o_orderdate, l_linenumber.

TPC-H has no bad rows, no churn signal of note (orders are uniform over seven years), and its last month
holds two days of orders."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

TPCHGEN = Path(sys.executable).with_name("tpchgen-cli")
TABLES = ("customer", "orders", "lineitem", "part", "partsupp")

CUSTOMERS = """
    select c_custkey as customer_id, c_name as name,
           lower(replace(c_name, '#', '.')) || '@example.com' as email,
           date '1992-01-01' - cast(c_custkey % 1826 as integer) as signup_date,
           case when c_mktsegment = 'AUTOMOBILE' then 'premium' else 'basic' end as tier
    from read_parquet('{d}/customer.parquet')
"""
PRODUCTS = """
    select p_partkey as product_id, p_name as product, p_type as category, cost,
           p_retailprice as retail_price, p_mfgr as supplier
    from read_parquet('{d}/part.parquet')
    join (select ps_partkey, min(ps_supplycost) as cost from read_parquet('{d}/partsupp.parquet') group by all)
        on ps_partkey = p_partkey
"""
ORDERS = """
    select l_orderkey as order_id, o_custkey as customer_id, l_partkey as product_id, l_quantity as quantity,
           round(l_extendedprice / l_quantity, 2) as price, o_orderdate as order_date, l_linenumber as line_number
    from read_parquet('{d}/lineitem.parquet')
    join read_parquet('{d}/orders.parquet') on l_orderkey = o_orderkey
"""


def write_tpch_raw(raw: Path, scale: float, scratch: Path) -> dict:
    """TPC-H at scale factor `scale` as the raw files of `raw` (customers, products, orders .parquet);
    returns the rows of each."""
    tpch = scratch / "tpchgen"
    shutil.rmtree(tpch, ignore_errors=True)
    subprocess.run(
        [str(TPCHGEN), "parquet", "-s", str(scale), f"--tables={','.join(TABLES)}", f"--output-dir={tpch}"],
        check=True,
        capture_output=True,
    )
    raw.mkdir(parents=True, exist_ok=True)
    rows = {}
    with duckdb.connect() as con:
        for name, query in (("customers", CUSTOMERS), ("products", PRODUCTS), ("orders", ORDERS)):
            target = raw / f"{name}.parquet"
            con.execute(f"copy ({query.format(d=tpch)}) to '{target}' (format parquet)")
            rows[name] = con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    shutil.rmtree(tpch, ignore_errors=True)
    return rows
