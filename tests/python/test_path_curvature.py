"""Curvature along the paths: the Hessian's axes at every point, and the map's toggle."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from compiles import compiled_during

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import Objective, ObjectiveError
from jaxgrad_widgets.engine.path_curvature import curvature_along
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets.panels.curvature_axes import axes_segments, axis_lengths
from jaxgrad_widgets.widgets.player import unpack_wire


def _eigen_reference(f, points, dims):
    """numpy's eigendecomposition of jax.hessian's block in the plane, point by point."""
    hessian = jax.hessian(lambda p: f(*p))
    first, second, directions = [], [], []
    for p in points:
        block = np.asarray(hessian(jnp.asarray(p)), np.float64)[np.ix_(dims, dims)]
        values, vectors = np.linalg.eigh(block)
        first.append(values[1])
        second.append(values[0])
        directions.append(vectors[:, 1])
    return np.array(first), np.array(second), np.array(directions)


@pytest.mark.parametrize(
    ("f", "dims"),
    [
        (goldfield, (0, 1)),
        (lambda a, b, c: a**2 * b + jnp.sin(c) * a + 3 * c**2 - b**4, (0, 2)),
        (lambda a, b, c: a**2 * b + jnp.sin(c) * a + 3 * c**2 - b**4, (2, 1)),
    ],
)
def test_the_axes_are_the_hessians_eigenvectors_in_the_plane(f, dims):
    objective = Objective(f)
    points = np.random.default_rng(1).uniform(-2, 2, (3, 7, objective.dim)).astype(np.float32)
    c = curvature_along(objective, points, dims)
    assert c.shape == (3, 7)
    first, second, directions = _eigen_reference(f, points.reshape(-1, objective.dim), dims)
    np.testing.assert_allclose(c.first.ravel(), first, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(c.second.ravel(), second, rtol=1e-4, atol=1e-4)
    # The first axis is the first eigenvector, up to its sign.
    along = np.stack([np.cos(c.angle.ravel()), np.sin(c.angle.ravel())], -1)
    spread = np.abs(first - second) > 1e-3  # a round bowl has no direction to check
    cosine = np.abs(np.sum(along * directions, -1))[spread]
    np.testing.assert_allclose(cosine, 1.0, atol=1e-4)


def test_goldfield_curves_down_only_near_its_saddle():
    c = curvature_along(Objective(goldfield), np.array([[0, 0], [1, 1], [-1, -1]], np.float32))
    assert c.curving_down.tolist() == [True, False, False]
    assert c.first[1] == pytest.approx(8 + np.sqrt(32), rel=1e-5)
    assert c.second[1] == pytest.approx(8 - np.sqrt(32), rel=1e-5)


def test_non_finite_points_give_nan_and_nothing_gives_nothing():
    c = curvature_along(Objective(goldfield), np.array([[np.nan, 0.0], [1.0, 1.0]], np.float32))
    assert np.isnan([c.angle[0], c.first[0], c.second[0]]).all()
    assert np.isfinite([c.angle[1], c.first[1], c.second[1]]).all()
    empty = curvature_along(Objective(goldfield), np.empty((0, 5, 2), np.float32))
    assert empty.shape == (0, 5)


def test_bad_requests_get_plain_errors():
    gold = Objective(goldfield)
    with pytest.raises(ObjectiveError, match="two different parameters"):
        curvature_along(gold, np.zeros((1, 2)), dims=(1, 1))
    with pytest.raises(ObjectiveError, match="end in 2 parameters"):
        curvature_along(gold, np.zeros((4, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branchy = Objective(lambda x, y: x**2 + y**2 if x > 0 else x**2 + 2 * y**2)
    with pytest.raises(ObjectiveError, match="JAX can compile"):
        curvature_along(branchy, np.zeros((1, 2)))


def test_new_start_and_step_counts_share_one_compile():
    gold = Objective(goldfield)
    curvature_along(gold, np.zeros((16, 301, 2), np.float32))  # 4,816 points: 8,192 compiled
    shapes = ((15, 301), (10, 500), (16, 400), (8, 1000))  # all within the same 8,192
    again = compiled_during(lambda: [curvature_along(gold, np.zeros((*shape, 2), np.float32))
                                     for shape in shapes])  # fmt: skip
    assert again == []


def test_axis_lengths_are_capped_signed_and_shrink_with_curvature():
    lengths = axis_lengths(np.array([0.0, 1.0, 4.0, 100.0, -4.0]), cap=0.3, reference=2.0)
    assert lengths[0] == pytest.approx(0.3)
    assert lengths[0] > lengths[1] > lengths[2] > lengths[3] > 0
    assert lengths[4] == pytest.approx(-lengths[2])
    # Where curvatures are large the half-lengths go as 1 / sqrt(curvature): the local
    # model's level ellipse.
    large = axis_lengths(np.array([1e4, 4e4]), cap=1.0, reference=1.0)
    assert large[0] / large[1] == pytest.approx(2.0, rel=1e-3)


# ---------------------------------------------------------------------- the dashboard
def _kinds(w):
    return [t["kind"] for t in w.player.tracks]


def test_the_toggle_ships_the_axes_as_tracks_and_draws_the_last_frame():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (0.0, 0.0)], learning_rate=0.05)
    assert "axes" not in _kinds(w) and not w.map.curvature.positive.visible
    loads = w.stage.loads
    w.show_curvature = True
    assert w.stage.loads == loads + 1  # the run is drawn again, not computed again
    assert _kinds(w).count("axes") == 2
    assert w.control_panel.curvature_toggle.value is True
    buffers = unpack_wire(w.player.buffer_layout, w.player.buffer_data)
    assert buffers["map.c_angle"].shape == (2, 301)
    # Start 0 converges to (1, 1): both axes curve up. Start 1 sits on the saddle.
    c = curvature_along(w.objective, w.trajectory[:, -1])
    axes = w.map.curvature
    assert axes.positive.visible and axes.negative.visible
    x, y = axes_segments(w.trajectory[:, -1, 0], w.trajectory[:, -1, 1], c.angle,
                         axis_lengths(c.first, axes.cap, axes.reference),
                         axis_lengths(c.second, axes.cap, axes.reference), sign=-1)  # fmt: skip
    np.testing.assert_allclose(axes.negative.x, x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(axes.negative.y, y, rtol=1e-5, atol=1e-6)
    assert np.nanmean(axes.negative.x) == pytest.approx(0.0, abs=1e-5)  # about the saddle
    assert np.count_nonzero(np.isnan(axes.positive.x)) == 2  # three segments
    assert "curving down" in w.map.notes["kinds"]
    w.show_curvature = False
    assert "axes" not in _kinds(w) and not axes.positive.visible
    assert "curving down" not in w.map.notes["kinds"]
    w.close()


def test_the_learning_rate_family_carries_the_axes():
    w = GradDescentWidget(goldfield, start=(0.1, 0.1), learning_rate=0.05)
    w.show_curvature = True
    w.send_family()
    p = w.player
    family = unpack_wire(p.family_layout, p.family_data)
    for m, rate in enumerate(p.family_values[:3]):
        w2 = GradDescentWidget(goldfield, start=(0.1, 0.1), learning_rate=rate)
        expected = curvature_along(w.objective, w2.trajectory)
        np.testing.assert_array_equal(family["map.c_angle"][m], expected.angle)
        w2.close()
    w.close()


def test_the_axes_follow_other_map_dimensions():
    def bowl3(a, b, c):
        return a**2 + 4 * b**2 + 9 * c**2

    w = GradDescentWidget(bowl3, start=(1.0, 1.0, 1.0), learning_rate=0.02, dims=("a", "c"))
    w.show_curvature = True
    buffers = unpack_wire(w.player.buffer_layout, w.player.buffer_data)
    # In the (a, c) plane: curvatures 18 along c (the first axis, at 90 degrees) and 2.
    assert np.degrees(buffers["map.c_angle"][0, 0]) == pytest.approx(90.0)
    first = axis_lengths(np.float32([18.0]), w.map.curvature.cap, w.map.curvature.reference)
    assert buffers["map.c_first"][0, 0] == pytest.approx(first[0])
    w.close()


def test_functions_without_a_map_or_fast_second_derivatives_are_told_why():
    line = GradDescentWidget(lambda x: x**2, start=1.0)
    assert line.control_panel.curvature_toggle is None
    line.show_curvature = True
    assert line.show_curvature is False
    assert line.message.startswith("curvature axes need a map")
    line.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branchy = GradDescentWidget(
            lambda x, y: x**2 + y**2 if x > 0 else x**2 + 2 * y**2, start=(1.0, 1.0),
            bounds=[(-2, 2), (-2, 2)],
        )  # fmt: skip
    branchy.control_panel.curvature_toggle.value = True  # as the browser sends it
    assert branchy.show_curvature is False and branchy.control_panel.curvature_toggle.value is False
    assert "JAX can compile" in branchy.message
    branchy.close()


def test_a_costly_hessian_is_taken_at_every_kth_frame_and_held():
    w = GradDescentWidget(goldfield, learning_rate=0.05)
    w._gradient_seconds = 0.001  # as a likelihood over a lot of data takes
    w.show_curvature = True
    angle = unpack_wire(w.player.buffer_layout, w.player.buffer_data)["map.c_angle"][0]
    # 25 points for the 50 ms the axes may take: every 13th of the 301 frames.
    assert angle.shape == (301,)
    assert np.all(angle[:13] == angle[0]) and np.all(angle[13:26] == angle[13])
    assert angle[13] != angle[0]
    exact = curvature_along(w.objective, w.trajectory[:, 13])
    assert angle[13] == pytest.approx(float(exact.angle[0]), abs=1e-6)
    w.close()
