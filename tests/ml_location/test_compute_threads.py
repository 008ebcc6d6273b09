"""scikit-learn's native pools at one thread while the models train and score, unless OMP_NUM_THREADS is set."""

import pytest
import sklearn.ensemble  # noqa: F401  (loads scikit-learn's OpenMP runtime, so its pool is there to limit)
from threadpoolctl import threadpool_info, threadpool_limits

from ml_location import models, predictions
from ml_location.compute_threads import limited_threads

pytestmark = pytest.mark.unit


def openmp_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"}


def test_a_limited_function_runs_on_one_openmp_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with threadpool_limits(limits=2):
        assert openmp_threads() == {2}
        assert limited_threads(openmp_threads)() == {1}
        assert openmp_threads() == {2}  # restored once it returns


def test_omp_num_threads_keeps_the_pools_as_they_are(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with threadpool_limits(limits=2):
        assert limited_threads(openmp_threads)() == {2}


@pytest.mark.parametrize(
    "function",
    [models.train_churn_model, models.train_demand_model, predictions.score_customers, predictions.forecast_products],
)
def test_training_and_scoring_are_limited(function):
    assert function.__wrapped__.__module__ == function.__module__
    assert function.__code__ is limited_threads(len).__code__
