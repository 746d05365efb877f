"""Trajectories: shapes, convergence, divergence, bucketing and no recompilation."""

import logging

import jax
import numpy as np
import optax
import pytest

from jaxgrad_widgets.engine import (
    FINALS_CHECK_EVERY,
    OPTIMIZERS,
    DescentConfigError,
    Limits,
    Objective,
    OptimizerError,
    descent_for,
    final_points,
    trajectories,
)
from jaxgrad_widgets.functions import describe, goldfield, himmelblau, quadratic_bowl, rosenbrock


@pytest.fixture(scope="module")
def gold():
    return Objective(goldfield)


class CompileCounter(logging.Handler):
    """Counts XLA compilations that jax.log_compiles() reports."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        message = record.getMessage()
        if message.startswith("Compiling"):
            self.messages.append(message)


def test_shapes_and_first_record_is_the_start(gold):
    run = trajectories(gold, "adam", [[0.1, 0.1], [1.5, -1.0], [-1, 2]], 37)
    assert run.params.shape == (3, 38, 2)
    assert run.loss.shape == (3, 38)
    assert run.grad.shape == (3, 38, 2)
    np.testing.assert_allclose(run.params[:, 0], [[0.1, 0.1], [1.5, -1.0], [-1, 2]], rtol=1e-6)
    # Records agree with the objective evaluated directly.
    for k in range(3):
        for i in (0, 10, 37):
            assert run.loss[k, i] == pytest.approx(float(gold.value(run.params[k, i])), rel=1e-5)
            np.testing.assert_allclose(run.grad[k, i], gold.grad(run.params[k, i]), rtol=1e-4)


def test_one_start_given_as_a_flat_point(gold):
    assert trajectories(gold, "sgd", [0.1, 0.1], 5).params.shape == (1, 6, 2)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_converges_on_the_quadratic_bowl(name):
    bowl = Objective(quadratic_bowl(10.0))
    learning_rate = {"adagrad": 0.5, "rmsprop": 0.005, "adam": 0.02}.get(name, 0.05)
    run = trajectories(bowl, name, [[-1.8, 1.2]], 3000, {"learning_rate": learning_rate})
    np.testing.assert_allclose(run.params[0, -1], [0.0, 0.0], atol=0.02)
    assert run.loss[0, -1] < 1e-3
    assert run.diverged_at[0] == -1


def test_rosenbrock_minimum_reached_with_adam():
    run = trajectories(
        Objective(rosenbrock), "adam", [describe(rosenbrock).start], 5000, {"learning_rate": 0.02}
    )
    np.testing.assert_allclose(run.params[0, -1], [1.0, 1.0], atol=1e-2)


def test_himmelblau_every_known_minimum_is_reached_from_nearby():
    minima = np.array(describe(himmelblau).minima, dtype=np.float32)
    starts = minima + np.float32(0.4)
    run = trajectories(Objective(himmelblau), "sgd", starts, 2000, {"learning_rate": 0.01})
    np.testing.assert_allclose(run.params[:, -1], minima, atol=1e-3)
    assert (run.converged_at >= 0).all()


def test_divergence_is_reported_and_finite_steps_are_kept(gold):
    run = trajectories(gold, "sgd", [[0.1, 0.1]], 100, {"learning_rate": 1.0})
    step = int(run.diverged_at[0])
    assert step > 0
    assert run.summary(0) == f"diverged at step {step}"
    assert np.isfinite(run.params[0, :step]).all()
    assert np.isfinite(run.loss[0, :step]).all()
    assert not (np.isfinite(run.loss[0, step]) and np.isfinite(run.params[0, step]).all())
    assert run.valid_length(0) == step
    assert run.converged_at[0] == -1


def test_non_finite_start_value_counts_as_diverged_at_zero():
    run = trajectories(Objective(lambda x: 1 / x), "sgd", [[0.0]], 10)
    assert run.diverged_at[0] == 0
    assert run.valid_length(0) == 0


def test_finals_only_matches_full_trajectories(gold):
    starts = np.array([[0.1, 0.1], [-0.1, -0.1], [1.9, -1.7], [0.0, 0.0]], np.float32)
    full = trajectories(gold, "momentum", starts, 250, {"learning_rate": 0.01})
    finals = final_points(gold, "momentum", starts, 250, {"learning_rate": 0.01})
    np.testing.assert_allclose(finals.params, full.params[:, -1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(finals.loss, full.loss[:, -1], rtol=1e-5)
    # Finals check every FINALS_CHECK_EVERY steps and the last one: the result is the
    # first *checked* step whose gradient norm is below the tolerance.
    every = FINALS_CHECK_EVERY
    checked_steps = [i for i in range(251) if i % every == every - 1 or i == 250]
    small = full.gradient_norm() < full.tolerance
    for j in range(len(starts)):
        expected = next((i for i in checked_steps if small[j, i]), -1)
        assert finals.converged_at[j] == expected
        assert expected == -1 or expected >= full.converged_at[j]


def test_finals_only_keeps_the_last_finite_point_when_diverging(gold):
    finals = final_points(gold, "sgd", [[0.1, 0.1]], 100, {"learning_rate": 1.0})
    run = trajectories(gold, "sgd", [[0.1, 0.1]], 100, {"learning_rate": 1.0})
    exact = int(run.diverged_at[0])
    checked = int(finals.diverged_at[0])
    assert exact <= checked < exact + FINALS_CHECK_EVERY
    # The last finite checked point is one of the finite records before the divergence.
    assert np.isfinite(finals.params[0]).all()
    assert any(np.allclose(finals.params[0], p) for p in run.params[0, :exact])
    # The last record is always checked: a run that ends at the divergence reports it
    # exactly, and one that ends just before it keeps its last point.
    assert exact < FINALS_CHECK_EVERY
    ending = final_points(gold, "sgd", [[0.1, 0.1]], exact, {"learning_rate": 1.0})
    assert ending.diverged_at[0] == exact
    before = final_points(gold, "sgd", [[0.1, 0.1]], exact - 1, {"learning_rate": 1.0})
    assert before.diverged_at[0] == -1
    np.testing.assert_allclose(before.params[0], run.params[0, exact - 1])


def test_finals_only_runs_a_256_by_256_grid(gold):
    axis = np.linspace(-2, 2, 256, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    finals = final_points(gold, "sgd", grid, 500, {"learning_rate": 0.01})
    assert finals.params.shape == (65536, 2)
    ends = np.round(finals.params[finals.diverged_at < 0]).astype(int)
    # Every start ends in one of the two valleys or on the saddle's ridge (x = y = 0).
    assert {tuple(e) for e in ends} <= {(1, 1), (-1, -1), (0, 0)}


def test_custom_optax_transformation_is_accepted(gold):
    run = trajectories(gold, optax.chain(optax.clip(0.1), optax.sgd(0.05)), [[0.1, 0.1]], 500)
    np.testing.assert_allclose(run.params[0, -1], [1.0, 1.0], atol=1e-3)


def test_no_recompilation_when_hyperparameters_start_or_tolerance_change(gold):
    descent = descent_for(gold, "momentum")
    descent.run([[0.1, 0.1]], 300, {"learning_rate": 0.01, "momentum": 0.9})
    descent.run([[0.1, 0.1]], 300, {"learning_rate": 0.01})  # the check traces nothing new
    traces_before = descent.trace_count
    counter = CompileCounter()
    logger = logging.getLogger("jax")
    logger.addHandler(counter)
    rng = np.random.default_rng(1)
    try:
        with jax.log_compiles():
            for i in range(100):
                descent.run(
                    rng.uniform(-2, 2, (1, 2)),
                    300,
                    {"learning_rate": float(rng.uniform(1e-4, 0.05)), "momentum": i / 101},
                    tol=10.0 ** -rng.integers(3, 7),
                )
    finally:
        logger.removeHandler(counter)
    assert counter.messages == []
    assert descent.trace_count == traces_before


def test_steps_and_starts_are_bucketed(gold):
    descent = descent_for(gold, "sgd")
    descent.run([[0.1, 0.1]] * 3, 200, {"learning_rate": 0.01})
    traces = descent.trace_count
    for steps in (130, 180, 255):  # one bucket of 256 records
        for k in (3, 4):  # padded to 4 starts
            run = descent.run([[0.1, 0.1]] * k, steps, {"learning_rate": 0.01})
            assert run.params.shape == (k, steps + 1, 2)
    assert descent.trace_count == traces


def test_limits_bound_the_work(gold):
    small = Limits(max_steps=50, max_starts=4, max_points=100, max_final_starts=8)
    with pytest.raises(DescentConfigError, match="steps=51 is more than the maximum of 50"):
        trajectories(gold, "sgd", [[0, 0]], 51, limits=small)
    with pytest.raises(DescentConfigError, match="5 starts is more than the maximum of 4"):
        trajectories(gold, "sgd", [[0, 0]] * 5, 10, limits=small)
    with pytest.raises(DescentConfigError, match="more than the maximum of 100"):
        trajectories(gold, "sgd", [[0, 0]] * 4, 30, limits=small)
    with pytest.raises(DescentConfigError, match="9 starts is more than the maximum of 8"):
        final_points(gold, "sgd", [[0, 0]] * 9, 10, limits=small)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (0, "steps=0: take at least 1 step"),
        (-3, "steps=-3: take at least 1 step"),
        (2.5, "steps must be a whole number, not 2.5"),
        ("ten", "steps must be a whole number, not 'ten'"),
        (10**7, "steps=10000000 is more than the maximum of 100000"),
    ],
)
def test_bad_steps_are_explained(gold, steps, message):
    with pytest.raises(DescentConfigError) as err:
        trajectories(gold, "sgd", [[0, 0]], steps)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("hyper", "message"),
    [
        ({"learning_rate": -0.1}, "learning rate = -0.1 is outside the allowed range [1e-05, 10]"),
        ({"learning_rate": 0.0}, "learning rate = 0 is outside the allowed range [1e-05, 10]"),
        ({"learning_rate": float("nan")}, "learning rate must be a finite number, not nan"),
        ({"learning_rate": "fast"}, "learning rate must be a number, not 'fast'"),
        (
            {"momentum": 0.9},
            "sgd has no hyperparameter 'momentum'; its hyperparameters are: learning_rate",
        ),
    ],
)
def test_bad_hyperparameters_are_explained(gold, hyper, message):
    with pytest.raises(OptimizerError) as err:
        trajectories(gold, "sgd", [[0, 0]], 10, hyper)
    assert str(err.value) == message


def test_bad_starts_are_explained(gold):
    with pytest.raises(DescentConfigError, match=r"starts must have shape \(number of starts, 2\)"):
        trajectories(gold, "sgd", [[0, 0, 0]], 10)
    with pytest.raises(DescentConfigError, match="every start must be a finite number"):
        trajectories(gold, "sgd", [[0, float("nan")]], 10)
