"""Sizes, shared figures and the two alternating datasets of the reliability suite.

Sizes come from the environment so that CI runs a bounded configuration and `make reliability` a bigger
one; the figures the tests measure are written to $RELIABILITY_REPORT (JSON) when that is set."""

import os
import shutil
from pathlib import Path

import duckdb
from marts import mart_states

from datagen.generate import Sizes, generate

CYCLES = int(os.environ.get("RELIABILITY_CYCLES", "4"))  # dbt builds raced by a reader
KILLS = int(os.environ.get("RELIABILITY_KILLS", "12"))  # dbt builds killed with SIGKILL
SEED = int(os.environ.get("RELIABILITY_SEED", "7"))

FIGURES: dict = {"configuration": {"cycles": CYCLES, "kills": KILLS, "seed": SEED}}


class TwoDatasets:
    """Two different raw datasets, A and B, and the mart states a complete build of each produces.
    Swapping one in for the other before a build tells an old table from a new one."""

    def __init__(self, warehouse, root: Path):
        self.warehouse = warehouse
        self.sources = {}
        for name, orders, seed in (("A", 1_500, 1), ("B", 2_500, 2)):
            self.sources[name] = root / name
            generate(self.sources[name], Sizes.for_orders(orders), seed=seed)
        self.states = {}
        for name in self.sources:
            self.use(name)
            result = warehouse.dbt("build")
            assert result.returncode == 0, result.stdout[-2000:]
            with duckdb.connect(str(warehouse.analytics_db), read_only=True) as con:
                self.states[name] = mart_states(con)
        # Every mart tells A from B, so a mix of marts from an A build and a B build is never mistaken
        # for one whole build.
        same = [mart for mart in self.states["A"] if self.states["A"][mart] == self.states["B"][mart]]
        assert not same, f"datasets A and B give the same {same}"

    def use(self, name: str) -> None:
        """Drop dataset `name` into raw/, each file replaced atomically as a source system would."""
        for source in self.sources[name].iterdir():
            shutil.copy(source, self.warehouse.raw / f".{source.name}.partial")
            (self.warehouse.raw / f".{source.name}.partial").replace(self.warehouse.raw / source.name)
