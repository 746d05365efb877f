"""DerivativeWidget without a browser: the teaching notebook's derivatives and their views."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import DerivativeWidget
from jaxgrad_widgets.engine import Objective, ObjectiveError, critical_points_1d
from jaxgrad_widgets.functions import goldfield, line, polynomial


def test_line_has_derivative_three_everywhere():
    w = DerivativeWidget(line, order=1)
    np.testing.assert_allclose(w.curves[1], 3.0)
    assert w.values["f′"] == 3.0
    assert w.critical_points == []
    assert "no point with f′ = 0" in w.children[-2].value


def test_polynomial_derivatives_and_minimum():
    w = DerivativeWidget(polynomial, order=2, x=3.0)
    np.testing.assert_allclose(w.curves[1], 6 * w.xs + 4, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(w.curves[2], 6.0)
    assert w.values == {"f": 36.0, "f′": 22.0, "f″": 6.0}
    ((x, kind),) = w.critical_points
    assert x == pytest.approx(-2 / 3, abs=1e-5) and kind == "minimum"
    assert "minimum</span> at x = -0.6667" in w.children[-2].value


def test_dragging_the_marker_moves_tangent_and_readout():
    w = DerivativeWidget(polynomial, order=2, x=3.0)
    w._on_drag(None, {"event": "drag", "point": {"x": 0.0, "y": 123.0}, "index": 0})
    assert w.x == 0.0
    assert w.values["f′"] == 4.0
    # Tangent at 0: y = -3 + 4x over the bounds (-4, 3.5).
    np.testing.assert_allclose(w.tangent.y, [-19.0, 11.0])
    np.testing.assert_allclose(w.marker.y, [-3.0])  # put back on the curve
    assert 'data-x="0"' in w.readout.value
    assert "f′(0) = <b>4</b>" in w.readout.value


def test_browser_values_are_clamped_and_garbage_ignored():
    w = DerivativeWidget(polynomial, order=1)
    w._on_drag(None, {"point": {"x": 1e9}})
    assert w.x == 3.5
    for event in ({"point": {"x": "left"}}, {"point": None}, "junk", {"point": {"x": "nan"}}):
        w._on_drag(None, event)
    assert w.x == 3.5


@pytest.mark.parametrize("order", [1, 2, 3, 5, 8])
def test_any_order_works(order):
    w = DerivativeWidget(lambda x: jnp.sin(x), order=order, bounds=(-3, 3))
    assert len(w.figures) == order + 1
    expected = [np.sin, np.cos, lambda v: -np.sin(v), lambda v: -np.cos(v)][order % 4]
    np.testing.assert_allclose(w.curves[order], expected(w.xs), atol=1e-4)


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (0, "order=0: choose a derivative order from 1 to 8"),
        (9, "order=9: choose a derivative order from 1 to 8"),
        (1.5, "order must be a whole number such as 2, not 1.5"),
        ("2", "order must be a whole number such as 2, not '2'"),
    ],
)
def test_bad_order_is_explained(order, message):
    with pytest.raises(ObjectiveError) as err:
        DerivativeWidget(polynomial, order=order)
    assert str(err.value) == message


def test_two_parameter_function_is_pointed_elsewhere():
    with pytest.raises(ObjectiveError, match="DerivativeWidget needs a function of one number"):
        DerivativeWidget(goldfield)
    # Binding y makes it a 1-D slice: the robot's view.
    w = DerivativeWidget(goldfield, y=1.2, x=0.1)
    assert w.values["f′"] == pytest.approx(4 * 0.1 - 4 * 1.2, abs=1e-5)


def test_critical_point_kinds():
    kinds = lambda f, b: [k for _, k in critical_points_1d(Objective(f), b)]  # noqa: E731
    assert kinds(lambda x: x**3, (-1, 1)) == ["inflection"]
    assert kinds(lambda x: x**4, (-1, 1)) == ["minimum"]
    assert kinds(lambda x: -(x**2), (-1, 1.5)) == ["maximum"]
    assert kinds(lambda x: jnp.cos(x), (-1, 4)) == ["maximum", "minimum"]
