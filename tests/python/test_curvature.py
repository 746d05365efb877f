"""Curvature at the end of a run: the kind of point it stopped at, and its speed there."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine.curvature import measured_rate, predicted_rate
from jaxgrad_widgets.functions import goldfield

BOWL = [(-2.0, 2.0), (-2.0, 2.0)]


def quadratic(x, y):
    return x**2 + 10 * y**2


@pytest.mark.parametrize("start", [(1.0, 1.0), (-1.5, 0.4)])
def test_gradient_descent_at_one_eleventh_shrinks_by_nine_elevenths(start):
    w = GradDescentWidget(quadratic, start=start, learning_rate=1 / 11, bounds=BOWL)
    row = w.status[0]
    assert row["end_kind"] == "minimum" and row["condition_number"] == pytest.approx(10.0)
    assert row["predicted_rate"] == pytest.approx(9 / 11, rel=0.01)
    assert row["measured_rate"] == pytest.approx(9 / 11, rel=0.01)
    assert "κ 10, 0.818 / 0.818 per step" in w.status_table.value
    w.close()


def test_momentum_at_its_optimal_settings_shrinks_by_the_square_root_rate():
    kappa = 10.0
    rate = (2 / (math.sqrt(2) + math.sqrt(20))) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    best = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    w = GradDescentWidget(quadratic, start=(1.0, 1.0), optimizer="momentum", learning_rate=rate,
                          bounds=BOWL)  # fmt: skip
    w.hyperparameters = {"momentum": beta}
    row = w.status[0]
    assert row["predicted_rate"] == pytest.approx(best, rel=0.02)
    assert row["measured_rate"] == pytest.approx(best, rel=0.02)
    w.close()


def test_a_run_into_a_saddle_says_so():
    w = GradDescentWidget(lambda x, y: x**2 - y**2, start=(1.0, 0.0), learning_rate=0.1,
                          bounds=BOWL)  # fmt: skip
    row = w.status[0]
    assert row["end_kind"] == "saddle" and row["state"] == "stopped"
    assert row["summary"].startswith("stopped at a saddle point at step")
    assert row["predicted_rate"] is None and row["condition_number"] is None
    assert 'data-state="stopped"' in w.status_table.value
    w.close()


def test_goldfield_from_its_saddle_and_from_a_valley():
    w = GradDescentWidget(goldfield, starts=[(0.0, 0.0), (0.1, 0.1)], learning_rate=0.05)
    saddle, valley = w.status
    assert saddle["end_kind"] == "saddle" and saddle["summary"] == (
        "stopped at a saddle point at step 0"
    )
    assert valley["end_kind"] == "minimum" and valley["summary"] == "converged at step 98"
    # goldfield's minimum (1, 1): Hessian eigenvalues 2.34 and 13.66.
    assert valley["condition_number"] == pytest.approx(13.657 / 2.343, rel=1e-3)
    # The flat direction sets the pace: max(|1 - 0.05 * 2.343|, |1 - 0.05 * 13.657|).
    assert valley["predicted_rate"] == pytest.approx(1 - 0.05 * 2.343, rel=1e-3)
    assert valley["measured_rate"] == pytest.approx(valley["predicted_rate"], rel=0.02)
    w.close()


def test_a_maximum_and_a_run_still_moving():
    w = GradDescentWidget(lambda x, y: -(x**2) - y**2, starts=[(0.0, 0.0), (0.5, 0.5)],
                          learning_rate=0.01, steps=20, bounds=BOWL)  # fmt: skip
    top, away = w.status
    assert top["end_kind"] == "maximum" and top["summary"] == "stopped at a maximum at step 0"
    assert away["end_kind"] is None and away["state"] == "moving"
    w.close()


def test_adaptive_optimizers_have_no_prediction_but_a_measurement():
    w = GradDescentWidget(quadratic, start=(1.0, 1.0), optimizer="adagrad", learning_rate=0.5,
                          steps=2000, bounds=BOWL)  # fmt: skip
    row = w.status[0]
    assert row["end_kind"] == "minimum" and row["predicted_rate"] is None
    assert "— /" in w.status_table.value
    w.close()


def test_measured_rate_needs_a_tail():
    assert measured_rate(np.zeros((2, 2))) is None
    assert measured_rate(np.array([[1.0], [0.5], [0.0]]), np.zeros(1)) is None
    assert predicted_rate("nesterov", {"learning_rate": 0.1}, [1.0]) is None


def test_the_map_marks_every_critical_point_by_kind():
    w = GradDescentWidget(goldfield)
    m = w.map
    assert sorted(m.minima.names.tolist()) == [
        "minimum (-1, -1): Hessian eigenvalues 2.34, 13.7",
        "minimum (1, 1): Hessian eigenvalues 2.34, 13.7",
    ]
    assert m.saddles.names.tolist() == ["saddle (0, 0): Hessian eigenvalues -2.47, 6.47"]
    assert len(m.maxima.x) == 0
    assert "◆ saddle" in m.notes["kinds"] and "maximum" not in m.notes["kinds"]
    w.close()


def test_a_function_with_maxima_marks_them():
    import jax.numpy as jnp

    def egg_box(x, y):
        return jnp.sin(3 * x) * jnp.cos(3 * y)

    w = GradDescentWidget(egg_box, start=(0.2, 0.3), bounds=BOWL)
    m = w.map
    # Extrema at 3x = pi/2 + k pi, 3y = m pi; saddles at 3x = k pi, 3y = pi/2 + m pi.
    assert (len(m.minima.x), len(m.maxima.x), len(m.saddles.x)) == (6, 6, 12)
    assert "▲ maximum" in m.notes["kinds"]
    for name in m.maxima.names:
        values = [float(v) for v in name.split("eigenvalues ")[1].split(", ")]
        assert all(v < 0 for v in values), name
    w.close()
