"""Functions jax.jit cannot trace (Python `if` on their arguments) in every view.

Such a function runs point by point in Python, a millisecond or more a point, so the
engine gives it coarser grids, fewer curve points, a cheaper search for minima and a
shorter search for a learning rate; the values it does show are the jittable ones.
"""

import math
import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import DerivativeWidget, GradDescentWidget
from jaxgrad_widgets.engine import (
    NotJittableWarning,
    Objective,
    ObjectiveError,
    derivatives_on,
    find_minima,
    grid_values,
)
from jaxgrad_widgets.engine.advice import stable_learning_rate
from jaxgrad_widgets.engine.derivatives import EAGER_CLASSIFY_ORDER, sample_count
from jaxgrad_widgets.engine.landscape import (
    UNJITTABLE_CURVE_RESOLUTION,
    UNJITTABLE_RESOLUTION,
    curve_values,
    resolution_for,
)
from jaxgrad_widgets.functions import goldfield

BOX = [(-2.0, 2.0), (-2.0, 2.0)]

pytestmark = pytest.mark.filterwarnings("ignore::jaxgrad_widgets.engine.NotJittableWarning")


def _bowl(x, y):
    if x > 0:
        return x**2 + y**2
    return x**2 + 2 * y**2


def _goldfield_if(x, y):
    """goldfield behind a Python `if` that never changes its value on the map."""
    value = 2 * x**2 - 4 * x * y + y**4 + 2
    return value if x > -100 else value + 1.0


def _banana_if(x, y):
    """Rosenbrock's narrow curved valley, minimum at (1, 1), behind a Python `if`."""
    value = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    return value if x > -100 else value + 1.0


def _wave_if(x):
    if x > 0:
        return jnp.sin(3 * x) * jnp.exp(-(x**2))
    return x**4 - x**3


def _wave(x):
    return jnp.where(x > 0, jnp.sin(3 * x) * jnp.exp(-(x**2)), x**4 - x**3)


def _unjittable(f):
    with pytest.warns(NotJittableWarning):
        objective = Objective(f)
    assert not objective.jittable
    return objective


# ---------------------------------------------------------------------- the 2-D widget
def test_the_two_parameter_widget_builds_and_shows_a_coarser_map():
    w = GradDescentWidget(_bowl, steps=20, learning_rate=0.1)
    assert not w.objective.jittable
    side = UNJITTABLE_RESOLUTION
    assert w.grid.values.shape == (side, side) and np.isfinite(w.grid.values).all()
    assert np.asarray(w.map.heatmap.color).shape == (side, side)
    assert np.asarray(w.map.contours.x).size > 100  # contour lines are drawn
    (x_low, x_high), (y_low, y_high) = w.bounds
    assert x_low < 0 < x_high and y_low < 0 < y_high  # framed around the minimum at 0
    assert w.trajectory.shape == (1, 21, 2) and w.status[0]["state"] in ("ok", "moving")


def test_jittable_grids_keep_the_resolution_asked_for():
    assert resolution_for(Objective(goldfield), 120) == 120
    assert grid_values(Objective(goldfield), BOX, 120).values.shape == (120, 120)
    objective = _unjittable(_bowl)
    assert resolution_for(objective, 120) == UNJITTABLE_RESOLUTION
    assert resolution_for(objective, 10) == 10
    grid = grid_values(objective, BOX, 120)
    assert grid.values.shape == (UNJITTABLE_RESOLUTION, UNJITTABLE_RESOLUTION)
    # The same values as the jittable equivalent on that grid.
    same = grid_values(Objective(lambda x, y: jnp.where(x > 0, x**2 + y**2, x**2 + 2 * y**2)),
                       BOX, UNJITTABLE_RESOLUTION)  # fmt: skip
    np.testing.assert_allclose(grid.values, same.values, rtol=1e-6)


def test_curves_of_an_unjittable_function_have_fewer_points():
    xs, ys = curve_values(_unjittable(lambda x: x**2 if x > 0 else -x), (-1.0, 1.0), 400)
    assert len(xs) == len(ys) == UNJITTABLE_CURVE_RESOLUTION
    assert len(curve_values(Objective(lambda x: x**2), (-1.0, 1.0), 400)[0]) == 400


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (_goldfield_if, [(-1.0, -1.0), (1.0, 1.0)]),
        (_bowl, [(0.0, 0.0)]),
        (_banana_if, [(1.0, 1.0)]),
    ],
)
def test_minima_of_an_unjittable_function_are_found(f, expected):
    """Compass search, then Newton where it stalls (the banana's curved valley)."""
    found = find_minima(_unjittable(f), BOX)
    points = sorted(tuple(m.point.tolist()) for m in found)
    assert all(m.kind == "minimum" for m in found)
    np.testing.assert_allclose(points, expected, atol=5e-3)


# ---------------------------------------------------------------------- learning-rate advice
def test_the_learning_rate_advice_for_an_unjittable_function():
    objective = _unjittable(_goldfield_if)
    rate = stable_learning_rate(objective, "sgd", [[0.1, 0.1]], 300, {"learning_rate": 1.0})
    assert rate == 0.125  # as for goldfield itself


def test_no_learning_rate_is_advised_for_a_start_on_a_pole():
    """1/x at x = 0: no rate can help, so none is tried past the first."""
    objective = Objective(lambda x, y: 1 / x + y**2)
    assert stable_learning_rate(objective, "sgd", [[0.0, 1.0]], 50, {"learning_rate": 1.0}) is None


# ---------------------------------------------------------------------- derivatives
def test_derivatives_of_an_unjittable_function_equal_the_jittable_ones():
    xs = np.linspace(-2, 2, 9)
    eager = derivatives_on(_unjittable(_wave_if), xs, 3)
    np.testing.assert_allclose(eager, derivatives_on(Objective(_wave), xs, 3), rtol=1e-5, atol=1e-5)


def test_the_derivative_widget_shows_the_curves_of_an_unjittable_function():
    w = DerivativeWidget(_wave_if, x=1.0, bounds=(-2, 2))
    assert len(w.xs) == sample_count(w.objective, 2, 400) == 100
    for panel, curve in zip(w.panels, w.curves, strict=True):
        np.testing.assert_array_equal(panel["curve"].y, curve)
        assert np.isfinite(curve).all()
    expected = derivatives_on(Objective(_wave), [1.0], 2)[:, 0]
    np.testing.assert_allclose(list(w.values.values()), expected, rtol=1e-5)
    kinds = [(round(x, 4), kind) for x, kind in w.critical_points]
    assert kinds == [(0.0, "inflection"), (0.4304, "maximum"), (1.3291, "minimum")]
    w.x = -1.0  # a drag recomputes the readout point by point
    assert w.values["f′"] == pytest.approx(-7.0)


def test_higher_orders_of_an_unjittable_function_use_fewer_points():
    objective = _unjittable(_wave_if)
    counts = [sample_count(objective, order, 400) for order in (1, 2, 3, 4, 8)]
    assert counts == [200, 100, 50, 25, 16]
    assert EAGER_CLASSIFY_ORDER == 4


def test_a_conversion_in_another_branch_is_explained():
    """float(x) where the check did not look: a sentence naming the point, not a trace."""

    def logged(x):
        return math.log(float(x)) if x > 0.5 else x**2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJittableWarning)
        objective = Objective(logged)
    with pytest.raises(ObjectiveError) as err:
        derivatives_on(objective, [0.0, 1.0], 1)
    assert str(err.value).startswith(
        "JAX cannot differentiate logged at x=1: ConcretizationTypeError: Abstract tracer value"
    )
