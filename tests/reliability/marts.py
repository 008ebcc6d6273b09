"""What a reader sees of the public marts, reduced to something comparable."""

import duckdb

PUBLIC_MARTS = ("customer_order_summary", "product_performance", "customer_monthly_activity", "product_monthly_sales")


def mart_states(con: duckdb.DuckDBPyConnection, schema: str | None = "marts") -> dict[str, list[int]]:
    """Row count and a content checksum of each public mart: equal states mean equal tables. schema=None: the
    marts as the ML reader's views (analytics_reader.views: each named as the mart, its contract columns)."""
    return {
        mart: list(
            con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) from {f'{schema}.' if schema else ''}{mart} t"
            ).fetchall()[0]
        )
        for mart in PUBLIC_MARTS
    }
