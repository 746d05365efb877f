"""DerivativeWidget without a browser: the teaching notebook's derivatives and their views."""

import jax.numpy as jnp
import numpy as np
import pytest
from compiles import compiled_during

from jaxgrad_widgets import DerivativeWidget, parse_formula
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


# ---------------------------------------------------------------------- opening fast
def _wiggle(x):
    return jnp.sin(3 * x) + 0.1 * x


@pytest.fixture
def derivative_orders(monkeypatch):
    """The order asked of every call of derivatives_on the test makes, in turn."""
    from jaxgrad_widgets.engine import derivatives

    orders = []
    real = derivatives.derivatives_on
    monkeypatch.setattr(derivatives, "derivatives_on",
                        lambda *a, **k: orders.append(a[2]) or real(*a, **k))  # fmt: skip
    return orders


def test_many_critical_points_are_narrowed_together(derivative_orders):
    """sin(3x) + 0.1x has six critical points in (-3, 3): every bisection step is one
    compiled call for all of them (it was sixty un-jitted gradients per point, 9 s)."""
    found = critical_points_1d(Objective(_wiggle), (-3, 3))
    assert len(derivative_orders) <= 60 + 3
    # f' = 3 cos(3x) + 0.1 = 0: 3x = ±arccos(-1/30) + 2πk; f'' = -9 sin(3x) gives the kind.
    angle = np.arccos(-1 / 30)
    roots = sorted(
        (s * angle + 2 * np.pi * k) / 3
        for s in (1, -1)
        for k in range(-2, 3)
        if -3 < (s * angle + 2 * np.pi * k) / 3 < 3
    )
    assert [x for x, _ in found] == pytest.approx(roots, abs=1e-5)
    kinds = ["maximum" if np.sin(3 * x) > 0 else "minimum" for x in roots]
    assert [kind for _, kind in found] == kinds


def test_only_a_flat_critical_point_needs_the_higher_derivatives(derivative_orders):
    orders = derivative_orders
    critical_points_1d(Objective(_wiggle), (-3, 3))
    assert max(orders) == 2  # f'' decides every point
    orders.clear()
    assert [k for _, k in critical_points_1d(Objective(lambda x: x**5), (-1, 1))] == ["inflection"]
    assert max(orders) == 8  # f'' = f''' = f'''' = 0 at 0: the 5th derivative decides


def test_high_orders_of_functions_the_taylor_series_cannot_take():
    """jet has no rule for tan or arctan: nested forward mode gives the same curves."""
    import jax

    f = parse_formula("tan(x / 2) + arctan(x)", ("x",)).function
    w = DerivativeWidget(f, order=5, bounds=(-1.0, 1.0), resolution=40)
    g = f
    for _ in range(5):
        g = jax.grad(g)
    expected = [float(g(x)) for x in w.xs[::8]]
    np.testing.assert_allclose(w.curves[5][::8], expected, rtol=1e-3, atol=1e-3)


def test_the_eighth_derivative_is_a_taylor_series():
    """exp(a x) sin(b x) has f^(n) = r^n exp(a x) sin(b x + n θ), r = |(a, b)|, θ = atan2(b, a)."""
    a, b = 0.5, 2.0
    w = DerivativeWidget(lambda x: jnp.exp(a * x) * jnp.sin(b * x), order=8, bounds=(-2, 2))
    x = w.xs.astype(np.float64)
    r, theta = np.hypot(a, b), np.arctan2(b, a)
    for n in (4, 6, 8):
        expected = r**n * np.exp(a * x) * np.sin(b * x + n * theta)
        np.testing.assert_allclose(w.curves[n], expected, rtol=1e-3, atol=1e-3 * r**n)


def test_opening_compiles_a_few_shapes_and_a_drag_none():
    w = DerivativeWidget(parse_formula("sin(3*x) + 0.1*x", ("x",)).function, order=3)
    # One evaluator per (order, bucket of points), not one per length.
    assert len(w.objective._derivative_evaluators) <= 6

    def drag():
        for x in (-1.0, 0.25, 2.5, 1.0):
            w.x = x

    assert compiled_during(drag) == []
