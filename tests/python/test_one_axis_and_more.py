"""1-D descent, the robot on one axis, and functions of more than two parameters."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import ObjectiveError
from jaxgrad_widgets.functions import goldfield, polynomial


def _decode(player, name):
    entry = player.buffers[name]
    return np.frombuffer(entry["data"], dtype="<f4").reshape(entry["shape"])


def test_one_dimensional_default_is_the_notebook_loop():
    w = GradDescentWidget(polynomial)
    assert (w.steps, w.learning_rate) == (200, 0.01)
    np.testing.assert_allclose(w.start, [3.0])
    assert w.trajectory.shape == (1, 201, 1)
    assert w.trajectory[0, -1, 0] == pytest.approx(-2 / 3, abs=1e-3)
    # The curve is drawn, the point rolls along it: x is the parameter, y the loss.
    np.testing.assert_allclose(_decode(w.player, "curve.x"), w.trajectory[:, :, 0])
    np.testing.assert_allclose(_decode(w.player, "curve.y"), w.losses)
    # Its tangent at every frame has the slope f'(x) = 6x + 4.
    x0, y0 = _decode(w.player, "curve.x0"), _decode(w.player, "curve.y0")
    x1, y1 = _decode(w.player, "curve.x1"), _decode(w.player, "curve.y1")
    slope = (y1 - y0) / (x1 - x0)
    np.testing.assert_allclose(slope, 6 * w.trajectory[:, :, 0] + 4, rtol=1e-3, atol=1e-3)
    assert w.figure.axes[0].label == "x"


def test_one_dimensional_drag_along_the_curve_recomputes():
    w = GradDescentWidget(polynomial)
    w.map.starts._handle_custom_msg(
        {"event": "drag", "index": 0, "point": {"x": -3.0, "y": 99.0}}, []
    )
    np.testing.assert_allclose(w.start, [-3.0])
    assert w.trajectory[0, 0, 0] == -3.0
    # The marker went back onto the curve: y = f(-3) = 27 - 12 - 3.
    np.testing.assert_allclose(w.map.starts.y, [12.0])
    # A click adds a start at the clicked x, on the curve.
    with w.map.starts.hold_trait_notifications():
        w.map.starts.x = np.array([-3.0, 2.0])
        w.map.starts.y = np.array([12.0, -50.0])
    np.testing.assert_allclose(w.starts[:, 0], [-3.0, 2.0])
    np.testing.assert_allclose(w.map.starts.y, [12.0, 17.0])


def test_one_dimensional_refuses_lock_and_dims():
    with pytest.raises(ObjectiveError, match="has one parameter: there are no dims"):
        GradDescentWidget(polynomial, dims=(0, 1))
    with pytest.raises(ObjectiveError, match="has one parameter: nothing to lock"):
        GradDescentWidget(polynomial, lock={"x": 1.0})


def test_robot_on_one_axis_reaches_x_equals_y():
    w = GradDescentWidget(goldfield, start=(0.1, 0.5), lock={"y": 1.2}, steps=300,
                          learning_rate=0.01)  # fmt: skip
    # The locked coordinate sits at its value and never moves.
    assert np.all(w.trajectory[0, :, 1] == np.float32(1.2))
    assert w.trajectory[0, -1, 0] == pytest.approx(1.2, abs=1e-3)
    # The line is drawn on the map, the slice panel is shown and in sync with the map.
    assert w.map.lock_line.visible
    np.testing.assert_allclose(w.map.lock_line.y, [1.2, 1.2])
    assert w.plots.children[-1] is w.slice_view.figure
    np.testing.assert_allclose(_decode(w.player, "slice.x"), w.trajectory[:, :, 0])
    np.testing.assert_allclose(_decode(w.player, "slice.y"), w.losses)
    assert "y locked" in w.message
    assert w.status[0]["summary"].startswith("converged at step")
    assert w.status[0]["gradient_norm"] < 1e-3
    # The arrows follow the partial derivative only: no y component.
    np.testing.assert_allclose(_decode(w.player, "map.ay"), _decode(w.player, "map.py"))


def test_lock_controls_both_ways():
    w = GradDescentWidget(goldfield, start=(0.1, 0.1))
    assert w.slice_view is None  # neither line nor slice until a lock
    w.lock_axis.value = 1  # lock y where the start is
    assert w.lock == {"y": pytest.approx(0.1)}
    w.lock_value.value = 1.2
    assert w.lock == {"y": pytest.approx(1.2)}
    assert w.trajectory[0, -1, 0] == pytest.approx(1.2, abs=1e-2)
    w.lock = {"x": -0.5}
    assert w.lock_axis.value == 0 and w.lock_value.value == -0.5
    assert np.all(w.trajectory[0, :, 0] == np.float32(-0.5))
    w.lock_axis.value = -1
    assert w.lock == {} and not w.map.lock_line.visible
    assert w.slice_view.figure not in w.plots.children
    # Values from the browser are clamped to the map.
    w.lock_axis.value = 1
    w.lock_value.max = 50.0
    w.lock_value.value = 40.0
    assert w.lock == {"y": 2.0}


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        ({"z": 1.0}, "lock must name one of the map's axes (x, y), not 'z'"),
        ({"x": 1.0, "y": 2.0}, "lock one axis at a time, e.g. lock={'y': 1.2}"),
        ({"y": "high"}, "the locked value of y must be a number"),
        ({"y": float("nan")}, "the locked value of y must be finite"),
    ],
)
def test_bad_locks_are_explained(lock, message):
    with pytest.raises(ObjectiveError) as err:
        GradDescentWidget(goldfield, lock=lock)
    assert str(err.value) == message


def bowl3(a, b, c):
    return (a - 1) ** 2 + 2 * (b + 1) ** 2 + 3 * (c - 0.5) ** 2


def test_more_than_two_parameters_map_two_and_descend_all():
    w = GradDescentWidget(bowl3, start=(0.0, 0.0, 0.0), learning_rate=0.05, steps=400)
    assert w.map_dims == (0, 1)
    np.testing.assert_allclose(w.trajectory[0, -1], [1.0, -1.0, 0.5], atol=1e-3)
    assert "c = 0" in w.map.notes["held"]
    assert w.status[0]["final_point"] == pytest.approx((1.0, -1.0, 0.5), abs=1e-3)
    assert "final a, b, c" in w.status_table.value
    # Choose the map's axes: the landscape, labels and paths follow.
    w.dim_y.value = 2
    assert w.map_dims == (0, 2)
    assert [a.label for a in w.figure.axes] == ["a", "c"]
    np.testing.assert_allclose(_decode(w.player, "map.py"), w.trajectory[:, :, 2])
    assert "b = 0" in w.map.notes["held"]
    # The same parameter twice is refused in the status line.
    w.dim_x.value = 2
    assert w.message == "the map needs two different parameters"
    assert w.map_dims == (0, 2)


def test_dims_by_name_and_bad_dims():
    w = GradDescentWidget(bowl3, start=(0.0, 0.0, 0.0), dims=("b", "c"))
    assert [a.label for a in w.figure.axes] == ["b", "c"]
    with pytest.raises(ObjectiveError, match="'d' is not a parameter of bowl3"):
        GradDescentWidget(bowl3, start=(0.0, 0.0, 0.0), dims=("a", "d"))
    with pytest.raises(ObjectiveError, match="dims must be two different parameters"):
        GradDescentWidget(bowl3, start=(0.0, 0.0, 0.0), dims=(1, 1))


def test_vector_parameter_maps_two_entries():
    def f(p):
        return jnp.sum((p - jnp.array([1.0, 2.0, 3.0])) ** 2)

    w = GradDescentWidget(f, start=[0.0, 0.0, 0.0], learning_rate=0.1, steps=200)
    assert [a.label for a in w.figure.axes] == ["p[0]", "p[1]"]
    np.testing.assert_allclose(w.trajectory[0, -1], [1, 2, 3], atol=1e-3)


def test_surface_view_gets_landscape_paths_and_a_frame_track():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], view="surface")
    # A figure sits in the row of plots, or in a box of its own there.
    shown = [part for box in w.plots.children for part in (box, *getattr(box, "children", ()))]
    assert w.surface in shown and w.map.figure not in shown
    assert w.surface.paths["shape"] == [2, 301, 3]
    assert w.surface.grid["shape"] == [120, 120]
    assert w.surface.labels == ["x", "y", "loss"]
    frame_tracks = [t for t in w.player.tracks if t["kind"] == "frame"]
    assert frame_tracks == [{"target": w.player.targets.index(w.surface), "kind": "frame"}]
    # The heights are clipped for display, so goldfield's y**4 walls do not flatten it.
    low, high = w.surface.z_clip
    assert low == pytest.approx(1.0, abs=0.01) and high < 42.0


def test_map_only_view_sends_nothing_to_the_surface_until_shown():
    w = GradDescentWidget(goldfield)
    # Not even made: its front end (three.js) reaches only a browser that shows it.
    assert not w.surface_panel.made and w.surface not in w.player.targets
    assert w.view == "map" and w.surface.paths == {}
    assert not [t for t in w.player.tracks if t["kind"] == "frame"]
    w.view_buttons.value = "both"
    assert w.view == "both" and len(w.plots.children) == 3
    assert w.surface.paths["shape"] == [1, 301, 3]
    w.learning_rate = 0.05
    data = np.frombuffer(w.surface.paths["data"], dtype="<f4").reshape(1, 301, 3)
    np.testing.assert_allclose(data[0, :, :2], w.trajectory[0], rtol=1e-6)


def test_bad_view_is_explained():
    with pytest.raises(ObjectiveError, match="view must be one of map, surface, both"):
        GradDescentWidget(goldfield, view="3d")
    with pytest.raises(ObjectiveError, match="its view is the curve"):
        GradDescentWidget(polynomial, view="surface")


def test_start_colours_differ_from_every_other_line_colour():
    # The browser tests (and users) tell paths apart from other lines by colour.
    from jaxgrad_widgets.widgets import palette

    others = {palette.CONTOUR_COLOR, palette.LOCK_COLOR, palette.CURVE_COLOR,
              palette.FRAME_MARKER_COLOR, palette.MINIMUM_COLOR}  # fmt: skip
    assert not others & set(palette.START_COLORS)
    assert len(set(palette.START_COLORS)) == len(palette.START_COLORS)
