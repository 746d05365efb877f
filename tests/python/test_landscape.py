"""Landscape: grids, contour lines, default levels, critical points and minima."""

import numpy as np
import pytest

from jaxgrad_widgets.engine import (
    DescentConfigError,
    Objective,
    check_bounds,
    classify_point,
    contour_paths,
    default_levels,
    find_minima,
    grid_values,
)
from jaxgrad_widgets.functions import describe, goldfield, himmelblau, rastrigin


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
