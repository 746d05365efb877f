"""Landscape: grids, contour lines, default levels, critical points and minima."""

import jax.numpy as jnp
import numpy as np
import pytest
from compiles import compiled_during

from jaxgrad_widgets import parse_formula
from jaxgrad_widgets.engine import (
    DescentConfigError,
    Objective,
    check_bounds,
    classify_point,
    contour_paths,
    curve_values,
    default_levels,
    descent_for,
    find_minima,
    grid_values,
    suggest_bounds,
)
from jaxgrad_widgets.engine.landscape import frame_bounds
from jaxgrad_widgets.functions import describe, goldfield, himmelblau, rastrigin, rosenbrock


def test_grid_matches_direct_evaluation():
    obj = Objective(goldfield)
    grid = grid_values(obj, [(-2, 2), (-1, 3)], 41)
    assert grid.values.shape == (41, 41)
    for i, j in [(0, 0), (10, 30), (40, 40)]:
        expected = float(goldfield(grid.xs[j], grid.ys[i]))
        assert grid.values[i, j] == pytest.approx(expected, rel=1e-5)


def test_grid_over_two_of_three_parameters_holds_the_third():
    obj = Objective(lambda a, b, c: a**2 + b**2 + c)
    grid = grid_values(obj, [(-1, 1), (-1, 1)], 3, dims=(0, 2), base=[0.0, 5.0, 0.0])
    assert grid.values[1, 1] == pytest.approx(25.0)


def test_contours_are_nan_separated_without_trailing_nan():
    grid = grid_values(Objective(goldfield), [(-2, 2), (-2, 2)], 100)
    x, y = contour_paths(grid, default_levels(grid.values))
    assert x.shape == y.shape and x.size > 100
    assert np.isnan(x).sum() >= 5  # several separate lines in one array
    assert np.isfinite(x[-1]) and np.isfinite(x[0])
    finite = np.isfinite(x)
    values = np.asarray(goldfield(x[finite], y[finite]))
    assert values.min() > 1.0 - 1e-3 and values.max() < grid.values.max()


def test_default_levels_are_dense_in_the_valleys():
    grid = grid_values(Objective(goldfield), [(-2, 2), (-2, 2)], 120)
    levels = default_levels(grid.values, 14)
    assert len(levels) >= 10
    # The y**4 walls do not swallow the lines: evenly spaced levels would put at most one
    # line in the lowest quarter of the map; these put at least four there.
    low = np.quantile(grid.values, 0.25)
    even = np.linspace(grid.values.min(), grid.values.max(), 16)[1:-1]
    assert (even < low).sum() <= 1
    assert (levels < low).sum() >= 4


def test_goldfield_critical_points():
    obj = Objective(goldfield)
    assert classify_point(obj, [0, 0]).kind == "saddle"
    assert classify_point(obj, [1, 1]).kind == "minimum"
    assert classify_point(obj, [-1, -1]).kind == "minimum"
    assert classify_point(obj, [0.5, 0.2]).kind == "not critical"
    saddle = classify_point(obj, [0, 0])
    assert saddle.eigenvalues[0] < 0 < saddle.eigenvalues[1]


def test_maximum_and_degenerate_points():
    assert classify_point(Objective(lambda x, y: -(x**2) - y**2), [0, 0]).kind == "maximum"
    assert classify_point(Objective(lambda x, y: x**4 + y**2), [0, 0]).kind == "degenerate"


def test_find_minima_of_goldfield_and_himmelblau():
    found = find_minima(Objective(goldfield), describe(goldfield).bounds)
    assert sorted(tuple(np.round(m.point, 2)) for m in found) == [(-1.0, -1.0), (1.0, 1.0)]
    found = find_minima(Objective(himmelblau), describe(himmelblau).bounds)
    expected = np.array(describe(himmelblau).minima)
    assert len(found) == 4
    for m in found:
        assert np.abs(expected - m.point).max(axis=1).min() < 1e-2


def test_find_minima_of_rastrigin_includes_the_global_one():
    found = find_minima(Objective(rastrigin), describe(rastrigin).bounds)
    assert any(np.allclose(m.point, [0, 0], atol=1e-2) for m in found)
    assert len(found) > 10  # the egg crate has many local minima


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ([(2, -2), (-2, 2)], "bounds (2, -2) are inverted or have zero width"),
        ([(1, 1), (-2, 2)], "bounds (1, 1) are inverted or have zero width"),
        ([(-2, 2)], r"bounds need 2 pair\(s\) \(low, high\), got 1"),
        ("wide", "bounds must be 2 pair"),
        ([(-np.inf, 2), (-2, 2)], "bounds must be finite numbers"),
    ],
)
def test_bad_bounds_are_explained(bounds, message):
    with pytest.raises(
        DescentConfigError,
        match=message.replace("(", r"\(").replace(")", r"\)") if "\\" not in message else message,
    ):
        check_bounds(bounds, 2)


# ---------------------------------------------------------------------- opening fast
def test_a_grid_of_any_size_compiles_its_evaluation_once():
    obj = Objective(parse_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)").function)
    assert compiled_during(lambda: grid_values(obj, [(-4, 4), (-4, 4)], 48))
    for resolution in (120, 200, 33):
        assert compiled_during(lambda r=resolution: grid_values(obj, [(-4, 4), (-4, 4)], r)) == []
    assert compiled_during(lambda: curve_values(obj, (-4, 4), 400)) == []


def test_minima_of_a_function_without_data_are_found_without_compiling_a_descent():
    obj = Objective(parse_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)").function)
    found = find_minima(obj, [(-4, 4), (-4, 4)])
    assert descent_for(obj, "adam").trace_count == 0
    points = sorted(m.point.tolist() for m in found)
    expected = [(-1.306, 0.0), (1.266, -2.572), (1.266, 2.572), (3.837, 0.0)]
    np.testing.assert_allclose(points, expected, atol=1e-3)
    assert all(m.gradient_norm < 1e-4 for m in found)
    # Rosenbrock's flat valley: the search stalls in it, Newton steps finish the job.
    (minimum,) = find_minima(Objective(rosenbrock), describe(rosenbrock).bounds)
    np.testing.assert_allclose(minimum.point, [1.0, 1.0], atol=1e-4)


def test_minima_of_a_function_of_data_are_found_by_a_descent():
    data = np.linspace(-1.0, 3.0, 2000)
    obj = Objective(lambda m, s, data: jnp.mean((data - m) ** 2) + (s - 0.5) ** 2,
                    argnums=(0, 1), fixed={"data": data})  # fmt: skip
    (minimum,) = find_minima(obj, [(-2, 4), (-2, 2)])
    np.testing.assert_allclose(minimum.point, [1.0, 0.5], atol=1e-3)
    assert descent_for(obj, "adam").trace_count > 0


# ---------------------------------------------------------------------- the view's bounds
def test_the_view_of_a_typed_formula_is_even_square_and_round():
    """sin(x)cos(y) + 0.1(x² + y²) from (0.3, 0.3) was framed x in (-3.1, 5.6): lopsided."""
    obj = Objective(parse_formula("sin(x)*cos(y)+0.1*(x**2+y**2)").function)
    bounds = suggest_bounds(obj, np.array([[0.3, 0.3]]))
    assert bounds == ((-5.0, 5.0), (-5.0, 5.0))
    goldfield_typed = Objective(parse_formula("2*x**2 - 4*x*y + y**4 + 2").function)
    assert suggest_bounds(goldfield_typed, np.array([[0.3, 0.3]])) == ((-2.0, 2.0), (-2.0, 2.0))


def test_far_valleys_do_not_stretch_the_view():
    """A valley much farther than the nearest one does not pull the view to its side."""
    obj = Objective(parse_formula("((x + 0.5)**2 + y**2) * ((x - 3)**2 + y**2)").function)
    (x_low, x_high), _ = suggest_bounds(obj, np.array([[-0.3, 0.0]]))
    assert x_low < -0.5 and x_high < 3.0  # framed about its own valley, at (-0.5, 0)
    (x_low, x_high), _ = suggest_bounds(obj, np.array([[1.3, 0.0]]))
    assert x_low < -0.5 and x_high > 3.0  # halfway between: both are near


@pytest.mark.parametrize(
    ("bounds", "center", "framed"),
    [
        (((-3.09, 5.62), (-4.36, 4.36)), (0.3, 0.3), ((-6.0, 6.0), (-6.0, 6.0))),
        (((-1.85, 2.15), (-1.0, 1.2)), (0.3, 0.3), ((-2.5, 2.5), (-2.5, 2.5))),
        (((-2.45, 2.41), (-4.36, 4.36)), (0.3, 0.3), ((-5.0, 5.0), (-5.0, 5.0))),
        (((98.2, 104.1), (0.4, 2.5)), (100.0, 1.0), ((98.0, 105.0), (0.0, 2.5))),
        (((-0.12, 0.07), (-10.0, 50.0)), (0.0, 0.0), ((-0.15, 0.15), (-10.0, 50.0))),
    ],
)
def test_framed_bounds(bounds, center, framed):
    np.testing.assert_allclose(frame_bounds(bounds, center), framed, atol=1e-9)
