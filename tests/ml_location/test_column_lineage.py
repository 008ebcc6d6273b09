"""The ML location's column lineage (column_lineage.py) against what it describes: every column it names exists
(in the marts' contract, or in the ML table it points at), and every feature the models train on has sources."""

import dagster as dg
import pytest

from ml_location import definitions as ml
from ml_location.column_lineage import LINEAGE
from ml_location.features import CUSTOMER_FEATURES, PRODUCT_FEATURES
from ml_location.schemas import COLUMN_SCHEMA
from ml_location.upstream import PUBLIC_MODELS

pytestmark = pytest.mark.unit

CONTRACT = {model.key: set(model.columns) for model in PUBLIC_MODELS}


def declared_columns(key: dg.AssetKey) -> list[str]:
    spec = ml.defs.resolve_assets_def(key).specs_by_key[key]
    return [column.name for column in spec.metadata[COLUMN_SCHEMA].columns]


@pytest.mark.parametrize("asset", sorted(LINEAGE, key=str), ids=lambda key: key.to_user_string())
def test_each_column_s_sources_exist_where_the_lineage_points(asset):
    assert set(LINEAGE[asset]) <= set(declared_columns(asset))
    for column, deps in LINEAGE[asset].items():
        assert deps, column
        for dep in deps:
            known = CONTRACT.get(dep.asset_key) or set(declared_columns(dep.asset_key))
            assert dep.column_name in known, (column, dep)


def test_every_feature_has_its_sources():
    assert set(CUSTOMER_FEATURES) <= set(LINEAGE[dg.AssetKey("customer_features")])
    assert set(PRODUCT_FEATURES) <= set(LINEAGE[dg.AssetKey("product_features")])


def test_the_features_read_the_marts_and_the_predictions_the_features():
    marts = set(CONTRACT)
    for asset, upstream in [
        ("customer_features", marts),
        ("product_features", marts),
        ("customer_risk_scores", {dg.AssetKey("customer_features")}),
        ("product_demand_forecasts", {dg.AssetKey("product_features")}),
    ]:
        sources = {dep.asset_key for deps in LINEAGE[dg.AssetKey(asset)].values() for dep in deps}
        assert sources <= upstream, asset
        assert sources <= set(ml.defs.resolve_assets_def(asset).asset_deps[dg.AssetKey(asset)]), asset
