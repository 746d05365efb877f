"""The teaching notebook's results, reproduced through the engine."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets.engine import Objective, nth_derivative, trajectories
from jaxgrad_widgets.functions import gaussian_negloglike, goldfield, line, polynomial


def test_derivative_of_line_is_three():
    obj = Objective(line)
    assert float(obj.grad(7.5)[0]) == 3.0
    assert float(obj.grad(-2.0)[0]) == 3.0


def test_polynomial_derivative_at_three_is_22():
    assert float(Objective(polynomial).grad(3.0)[0]) == 22.0


def test_polynomial_second_derivative_is_six():
    second = nth_derivative(Objective(polynomial), 2)
    for x in (-3.0, 0.0, 3.0):
        assert float(second(x)) == pytest.approx(6.0)


def test_polynomial_descent_reaches_minus_two_thirds():
    run = trajectories(Objective(polynomial), "sgd", [[3.0]], 200, {"learning_rate": 0.01})
    assert run.params.shape == (1, 201, 1)
    assert run.params[0, 0, 0] == 3.0
    assert run.params[0, -1, 0] == pytest.approx(-2 / 3, abs=1e-3)
    # The loss falls at every step of this convex descent.
    assert np.all(np.diff(run.loss[0]) <= 1e-6)


@pytest.mark.parametrize(("start", "minimum"), [((0.1, 0.1), (1, 1)), ((-0.1, -0.1), (-1, -1))])
def test_goldfield_reaches_the_minimum_on_its_side(start, minimum):
    run = trajectories(Objective(goldfield), "sgd", [start], 1000, {"learning_rate": 0.01})
    np.testing.assert_allclose(run.params[0, -1], minimum, atol=1e-3)
    assert run.summary(0).startswith("converged at step")


def test_goldfield_partial_derivative_with_y_fixed_drives_x_to_y():
    # The robot that can only move along x: y is bound, so only d/dx is used.
    obj = Objective(goldfield, argnums=0, fixed={"y": 1.2})
    run = trajectories(obj, "sgd", [[0.1]], 300, {"learning_rate": 0.01})
    assert run.params[0, -1, 0] == pytest.approx(1.2, abs=1e-3)


def test_goldfield_lock_mask_keeps_y_still_and_drives_x_to_y():
    run = trajectories(
        Objective(goldfield), "sgd", [[0.1, 1.2]], 300, {"learning_rate": 0.01}, mask=[1, 0]
    )
    assert np.all(run.params[0, :, 1] == np.float32(1.2))
    assert run.params[0, -1, 0] == pytest.approx(1.2, abs=1e-3)
    # Convergence counts the free parameter's gradient only (dy/dt is not zero at x = y).
    assert run.summary(0).startswith("converged at step")


@pytest.fixture(scope="module")
def gaussian_data():
    return jax.random.normal(jax.random.PRNGKey(0), (1000,)) * 2.0 - 3.0


def test_gaussian_mle_moves_toward_the_sample_statistics(gaussian_data):
    obj = Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": gaussian_data})
    start = [-6.0, float(np.log(2.0))]
    run = trajectories(obj, "sgd", [start], 300, {"learning_rate": 1e-4})
    mu = run.params[0, :, 0]
    assert mu[-1] > mu[0]  # moving from -6 toward the sample mean near -3
    assert np.all(np.diff(run.loss[0]) <= 1e-6)


@pytest.mark.parametrize(
    "make_objective",
    [
        lambda data: Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": data}),
        lambda data: Objective(functools.partial(gaussian_negloglike, data=data)),
        lambda data: Objective(lambda mu, log_sigma: gaussian_negloglike(mu, log_sigma, data)),
    ],
    ids=["bound-keyword", "partial", "closure"],
)
def test_gaussian_mle_reaches_the_closed_form(gaussian_data, make_objective):
    obj = make_objective(gaussian_data)
    run = trajectories(obj, "sgd", [[-6.0, float(np.log(2.0))]], 3000, {"learning_rate": 0.5})
    mu, log_sigma = run.params[0, -1]
    data = np.asarray(gaussian_data)
    assert mu == pytest.approx(data.mean(), abs=0.05)
    assert float(jnp.exp(log_sigma)) == pytest.approx(data.std(), abs=0.05)
