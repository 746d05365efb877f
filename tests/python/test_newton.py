"""Newton's methods: a step along H^-1 g finds critical points; |H|^-1 g finds minima."""

from __future__ import annotations

import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import OPTIMIZERS, Objective, descent_for, trajectories
from jaxgrad_widgets.functions import goldfield, polynomial

BOWL = [(-2.0, 2.0), (-2.0, 2.0)]


def test_newton_on_a_quadratic_lands_in_one_step():
    run = trajectories(Objective(lambda x, y: x**2 + 10 * y**2 + x * y), "newton",
                       [[1.5, -1.0]], 5, {"learning_rate": 1.0})  # fmt: skip
    np.testing.assert_allclose(run.params[0, 1], [0.0, 0.0], atol=1e-6)
    assert run.converged_at[0] == 1


def test_goldfield_newton_walks_to_the_saddle_and_saddle_free_to_a_minimum():
    newton = GradDescentWidget(goldfield, start=(0.1, 0.1), optimizer="newton")
    row = newton.status[0]
    np.testing.assert_allclose(newton.trajectory[0, -1], [0.0, 0.0], atol=1e-5)
    assert row["end_kind"] == "saddle" and row["summary"].startswith("stopped at a saddle point")
    free = GradDescentWidget(goldfield, start=(0.1, 0.1), optimizer="saddle_free_newton")
    row = free.status[0]
    assert row["end_kind"] == "minimum"
    np.testing.assert_allclose(np.abs(free.trajectory[0, -1]), [1.0, 1.0], atol=1e-4)
    # At a minimum both are Newton: a full step converges faster than any linear rate,
    # too fast for a tail to measure one.
    assert row["predicted_rate"] == 0.0
    assert row["measured_rate"] is None or row["measured_rate"] < 0.1
    newton.close()
    free.close()


def test_the_step_size_control_never_recompiles():
    descent = descent_for(Objective(goldfield), "newton")
    descent.run([[0.3, 0.2]], 50, {"learning_rate": 1.0})
    traced = descent.trace_count
    for rate in (0.5, 0.25, 0.9):
        run = descent.run([[0.3, 0.2]], 50, {"learning_rate": rate})
        assert run.steps == 50
    assert descent.trace_count == traced


def test_half_steps_shrink_the_error_by_half():
    w = GradDescentWidget(lambda x, y: x**2 + 10 * y**2, start=(1.0, 1.0), optimizer="newton",
                          learning_rate=0.5, bounds=BOWL)  # fmt: skip
    row = w.status[0]
    assert row["predicted_rate"] == pytest.approx(0.5)
    assert row["measured_rate"] == pytest.approx(0.5, rel=0.01)
    w.close()


def test_a_singular_hessian_gets_a_clear_status_not_nans():
    # x^2 + y^4 at y = 0: the Hessian is diag(2, 0), Newton's step is undefined.
    w = GradDescentWidget(lambda x, y: x**2 + y**4, start=(1.0, 0.0), optimizer="newton",
                          bounds=BOWL)  # fmt: skip
    row = w.status[0]
    assert "the Hessian is singular" in row["summary"], row["summary"]
    assert "saddle-free Newton" in row["summary"]
    assert np.isfinite(row["final_point"]).all()
    free = GradDescentWidget(lambda x, y: x**2 + y**4, start=(1.0, 0.0),
                             optimizer="saddle_free_newton", bounds=BOWL)  # fmt: skip
    assert free.status[0]["state"] == "ok"
    w.close()
    free.close()


def test_newton_on_one_parameter_and_on_a_likelihood():
    w = GradDescentWidget(polynomial, start=2.0, optimizer="saddle_free_newton")
    assert w.status[0]["state"] == "ok"
    w.close()
    rng = np.random.default_rng(0)
    data = rng.normal(1.5, 0.7, size=200).astype(np.float32)

    def negloglike(mu, log_sigma, data):
        import jax.numpy as jnp

        sigma = jnp.exp(log_sigma)
        return jnp.sum(jnp.log(sigma) + 0.5 * ((data - mu) / sigma) ** 2)

    w = GradDescentWidget(negloglike, argnums=(0, 1), start=(0.5, 0.0),
                          optimizer="saddle_free_newton", data=data)  # fmt: skip
    mu, log_sigma = w.trajectory[0, -1]
    assert mu == pytest.approx(float(data.mean()), abs=1e-3)
    assert np.exp(log_sigma) == pytest.approx(float(data.std()), rel=1e-3)
    w.close()


def test_the_menu_offers_both_with_a_full_step():
    assert OPTIMIZERS["newton"].label == "Newton's method"
    assert OPTIMIZERS["saddle_free_newton"].label == "saddle-free Newton"
    w = GradDescentWidget(goldfield)
    options = [value for _, value in w.controls.optimizer.options]
    assert "newton" in options and "saddle_free_newton" in options
    w.controls.optimizer.value = "newton"  # as a choice in the browser
    assert w.optimizer == "newton" and w.learning_rate == 1.0  # a step size: a full step
    w.optimizer = "saddle_free_newton"
    assert w.learning_rate == 1.0
    w.optimizer = "sgd"
    assert w.learning_rate == OPTIMIZERS["sgd"].defaults()["learning_rate"]
    w.close()


@pytest.mark.parametrize("kind", ["newton", "saddle_free"])
def test_the_two_parameter_closed_forms_match_linear_algebra(kind):
    import jax.numpy as jnp

    from jaxgrad_widgets.engine.descent import SADDLE_FREE_FLOOR, newton_direction

    rng = np.random.default_rng(1)
    for _ in range(200):
        m = rng.normal(size=(2, 2))
        h, g = (m + m.T) / 2, rng.normal(size=2)
        matrix, gradient = jnp.asarray(h, jnp.float32), jnp.asarray(g, jnp.float32)
        ours = np.asarray(newton_direction(matrix, gradient, jnp.ones(2), kind))
        if kind == "newton":
            expected = np.linalg.solve(h, g)
        else:
            values, vectors = np.linalg.eigh(h)
            size = np.maximum(np.abs(values), SADDLE_FREE_FLOOR * max(np.abs(values).max(), 1.0))
            expected = vectors @ ((vectors.T @ g) / size)
        np.testing.assert_allclose(ours, expected, rtol=2e-3, atol=1e-4)
    # A locked parameter does not move, either way.
    h, g = jnp.array([[2.0, 1.0], [1.0, -4.0]]), jnp.array([1.0, 3.0])
    assert newton_direction(h, g, jnp.array([1.0, 0.0]), kind).tolist() == [0.5, 0.0]
