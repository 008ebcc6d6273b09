"""How many threads scikit-learn's native pools (OpenMP, BLAS) use while a model trains or scores.

One, unless OMP_NUM_THREADS says otherwise. A run of this location rarely has the machine to itself: dbt's
threads, the other location's run and, in tests, a second worker compete for the same cores, and an OpenMP
pool that finds its cores taken spins instead of yielding. Oversubscribed that way, a histogram
gradient-boosting fit takes four to six times longer on two threads than on one; on an idle machine the
second thread saves about a third (docs/ml-at-scale.md, "Threads", has the figures).
"""

import functools
import os

from threadpoolctl import threadpool_limits

DEFAULT_THREADS = 1


def thread_limit() -> int | None:
    """None: OMP_NUM_THREADS is set, so the pools keep the size it gives them."""
    return None if os.environ.get("OMP_NUM_THREADS") else DEFAULT_THREADS


def limited_threads(function):
    """Decorator: `function` runs with scikit-learn's pools at thread_limit() threads, read at each call."""

    @functools.wraps(function)
    def limited(*args, **kwargs):
        with threadpool_limits(limits=thread_limit()):
            return function(*args, **kwargs)

    return limited
