"""GradDescentWidget without a browser: traits, engine agreement, browser-message clamping."""

import jax
import numpy as np
import optax
import pytest
import traitlets

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import (
    DescentConfigError,
    Objective,
    ObjectiveError,
    OptimizerError,
    descent_for,
    trajectories,
)
from jaxgrad_widgets.functions import goldfield, himmelblau
from jaxgrad_widgets.widgets.controls import STEPS_RANGE


@pytest.fixture
def widget():
    return GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05)


def _decode(player, name):
    entry = player.buffers[name]
    return np.frombuffer(entry["data"], dtype="<f4").reshape(entry["shape"])


def test_widget_agrees_with_the_engine(widget):
    expected = trajectories(
        Objective(goldfield), "sgd", [(0.1, 0.1), (-0.1, -0.1)], 300, {"learning_rate": 0.05}
    )
    np.testing.assert_array_equal(widget.trajectory, expected.params)
    np.testing.assert_array_equal(widget.losses, expected.loss)
    assert widget.trajectory.shape == (2, 301, 2)
    np.testing.assert_allclose(widget.trajectory[:, -1], [[1, 1], [-1, -1]], atol=1e-4)
    # The Player got the same numbers as float32 buffers, and one mark of paths and one of
    # loss curves that draw every start.
    np.testing.assert_array_equal(_decode(widget.player, "map.px"), expected.params[:, :, 0])
    np.testing.assert_array_equal(_decode(widget.player, "loss.y"), expected.loss)
    assert widget.player.n_frames == 301
    lines = [t for t in widget.player.tracks if t["kind"] == "lines"]
    assert [t["y"] for t in lines] == ["map.py", "loss.y"]
    assert [widget.player.track_values[t["lengths"]["$"]] for t in lines] == [[301, 301]] * 2


def test_status_rows_and_status_line(widget):
    rows = widget.status
    assert [r["summary"] for r in rows] == ["converged at step 98", "converged at step 98"]
    assert rows[0]["loss"] == pytest.approx(1.0)
    assert "converged at step 98" in widget.status_table.value
    assert widget.message.startswith(
        "gradient descent, learning rate 0.05, 300 steps from 2 starts"
    )


def test_learning_rate_both_ways(widget):
    slider = widget.controls.sliders["learning_rate"]
    widget.learning_rate = 0.02
    assert slider.value == pytest.approx(0.02)
    slider.value = 0.01
    assert widget.learning_rate == pytest.approx(0.01)
    assert widget.status[0]["summary"] != "converged at step 98"


def test_divergence_shows_step_and_hint(widget):
    widget.learning_rate = 1.0
    row = widget.status[0]
    assert row["summary"] == "diverged at step 5 — try a learning rate of 0.125 or less"
    assert row["state"] == "diverged"
    assert row["hint"] == "try a learning rate of 0.125 or less"
    assert 'data-state="diverged"' in widget.status_table.value
    # The path in the Player stops before the first non-finite record.
    (path_track,) = [t for t in widget.player.tracks if t["kind"] == "lines" and t["x"] == "map.px"]
    assert widget.player.track_values[path_track["lengths"]["$"]][0] == 5


def test_optimizer_switch_shows_its_hyperparameters(widget):
    controls = widget.controls
    assert controls.made() == ["learning_rate"]  # no row before an optimizer takes it
    widget.optimizer = "momentum"
    sliders, rows = controls.sliders, controls.rows
    assert rows["momentum"] in controls.children and controls.made() == ["learning_rate",
                                                                         "momentum"]  # fmt: skip
    assert widget.hyperparameters["momentum"] == 0.9 and sliders["momentum"].value == 0.9
    sliders["momentum"].value = 0.5
    assert widget.hyperparameters["momentum"] == 0.5
    controls.optimizer.value = "adam"
    assert widget.optimizer == "adam"
    assert rows["momentum"] not in controls.children
    assert [rows["b1"], rows["b2"]] == list(controls.children[2:4])
    assert controls.entries["b2"].value == "0.999"


def test_custom_optax_transformation_disables_the_learning_rate_slider():
    w = GradDescentWidget(goldfield, optimizer=optax.chain(optax.clip(0.05), optax.sgd(0.1)))
    assert w.controls.sliders["learning_rate"].disabled
    assert w.controls.optimizer.value == "custom"
    np.testing.assert_allclose(w.trajectory[0, -1], [1.0, 1.0], atol=1e-3)


def test_steps_slider_and_clamping(widget):
    widget.controls.steps.value = 40
    assert widget.steps == 40
    assert widget.trajectory.shape == (2, 41, 2)
    # The slider itself refuses out-of-range values; ours clamps whatever arrives.
    steps_moved = widget.control_panel._steps_moved
    steps_moved({"new": 10**9})
    assert widget.steps == STEPS_RANGE[1]
    steps_moved({"new": "many"})
    assert widget.steps == STEPS_RANGE[1]


def test_learning_rate_from_the_browser_is_clamped(widget):
    handler = widget.control_panel._hyperparameter_moved("learning_rate")
    handler({"new": 1e6})
    assert widget.learning_rate == 10.0
    handler({"new": float("nan")})
    assert widget.learning_rate == 0.01  # NaN -> the registry default


def _drag(widget, event):
    """What the map's start markers hand their drag callbacks (anything a browser sends)."""
    widget.map.starts._drag_handlers(widget.map.starts, event)


def test_drag_recomputes_the_dragged_path(widget):
    before = widget.trajectory[0].copy()
    _drag(widget, {"event": "drag", "index": 0, "point": {"x": -1.5, "y": 0.5}})
    np.testing.assert_allclose(widget.starts[0], [-1.5, 0.5])
    assert not np.array_equal(widget.trajectory[0], before)
    np.testing.assert_allclose(widget.trajectory[0, 0], [-1.5, 0.5])


@pytest.mark.parametrize(
    "event",
    [
        {"index": 7, "point": {"x": 0, "y": 0}},
        {"index": True, "point": {"x": 0, "y": 0}},
        {"index": 0, "point": {"x": "nan", "y": 0}},
        {"index": 0, "point": {"x": None, "y": 0}},
        {"index": 0},
        "not a dict",
    ],
)
def test_malformed_drag_events_are_ignored(widget, event):
    before = widget.starts.copy()
    _drag(widget, event)
    np.testing.assert_array_equal(widget.starts, before)


def test_drag_outside_the_map_is_clamped(widget):
    _drag(widget, {"index": 1, "point": {"x": 1e9, "y": -1e9}})
    np.testing.assert_allclose(widget.starts[1], [2.0, -2.0])


def test_click_adds_a_start_and_garbage_is_dropped(widget):
    mark = widget.map.starts
    with mark.hold_trait_notifications():
        mark.x = np.array([0.1, -0.1, 1.5], np.float32)
        mark.y = np.array([0.1, -0.1, -1.0], np.float32)
    assert widget.trajectory.shape[0] == 3
    np.testing.assert_allclose(widget.starts[2], [1.5, -1.0])
    with mark.hold_trait_notifications():
        mark.x = np.array([0.1, -0.1, 1.5, np.nan, 50.0])
        mark.y = np.array([0.1, -0.1, -1.0, 0.0, 0.0])
    assert widget.starts.shape == (4, 2)
    np.testing.assert_allclose(widget.starts[3], [2.0, 0.0])
    np.testing.assert_allclose(mark.x, [0.1, -0.1, 1.5, 2.0], rtol=1e-6)


def test_starts_are_capped_at_the_maximum():
    w = GradDescentWidget(goldfield, max_starts=3)
    with w.map.starts.hold_trait_notifications():
        w.map.starts.x = np.linspace(-1, 1, 5)
        w.map.starts.y = np.linspace(-1, 1, 5)
    assert w.starts.shape == (3, 2)
    assert w.message == "at most 3 starts; remove one to add another"
    assert len(w.map.starts.x) == 3


def test_remove_and_clear_starts(widget):
    widget.add_start((1.5, -1.5))
    assert len(widget.starts) == 3
    widget.remove_button.click()
    assert len(widget.starts) == 2
    widget.clear_button.click()
    assert len(widget.starts) == 1
    widget.clear_button.click()
    widget.remove_button.click()  # the only start: refused in the status line
    assert widget.message == "this is the only start; drag it, or add another first"


def test_python_assignments_raise_clear_errors(widget):
    with pytest.raises(DescentConfigError, match="steps=0: take at least 1 step"):
        widget.steps = 0
    with pytest.raises(OptimizerError, match="outside the allowed range"):
        widget.learning_rate = -0.1
    with pytest.raises(OptimizerError, match="unknown optimizer 'fast'"):
        widget.optimizer = "fast"
    with pytest.raises(ObjectiveError, match="more than this widget's maximum of 16"):
        widget.starts = np.zeros((17, 2))
    with pytest.raises(ObjectiveError, match=r"starts must have shape \(number of starts, 2\)"):
        widget.starts = [[1, 2, 3]]
    with pytest.raises(traitlets.TraitError):
        widget.steps = "ten"
    # The widget still works after every refusal.
    assert widget.steps == 300 and widget.trajectory.shape == (2, 301, 2)


def test_step_reset_and_run(widget):
    widget.reset()
    assert widget.frame == 0
    np.testing.assert_allclose(widget.current_points(), [[0.1, 0.1], [-0.1, -0.1]])
    points = widget.step()
    assert widget.frame == 1
    np.testing.assert_allclose(points, widget.trajectory[:, 1])
    widget.run()
    assert widget.player.playing and widget.frame == 0


def test_log_loss_toggle_draws_the_logarithm_and_back(widget):
    linear = _decode(widget.player, "loss.y").copy()
    widget.log_toggle.value = True
    assert widget.log_loss
    # goldfield's loss is positive everywhere: the log view draws log10 of the loss itself,
    # on the same linear scale, with its ticks labelled in the loss's numbers.
    np.testing.assert_allclose(_decode(widget.player, "loss.y"), np.log10(linear), rtol=1e-6)
    axis = widget.loss_view.y_axis
    assert axis.label == "loss (log scale)" and widget.loss_view.y_scale is axis.scale
    assert next(iter(axis.tick_labels.values())) == "1"  # the lowest loss, 1, at log10 = 0
    assert widget.loss_view.y_scale.min < 0 < widget.loss_view.y_scale.max
    widget.log_toggle.value = False
    np.testing.assert_array_equal(_decode(widget.player, "loss.y"), linear)
    assert axis.label == "loss" and axis.tick_labels is None
    low, high = widget.loss_view.y_scale.min, widget.loss_view.y_scale.max
    assert low < 1.0 < high and all(low <= t <= high for t in axis.tick_values)


def test_no_recompilation_when_sliders_move(widget):
    descent = descent_for(widget.objective, "sgd")
    traces = descent.trace_count
    rng = np.random.default_rng(0)
    for _ in range(50):
        widget.controls.sliders["learning_rate"].value = float(10 ** rng.uniform(-4, -1.5))
        _drag(widget, {"index": 0, "point": {"x": rng.uniform(-2, 2), "y": rng.uniform(-2, 2)}})
    assert descent.trace_count == traces


def test_minima_and_bounds_of_a_known_function():
    w = GradDescentWidget(himmelblau, starts=[(0, 0), (-1, -1)])
    assert w.bounds == ((-5.0, 5.0), (-5.0, 5.0))
    assert len(w.map.minima.x) == 4
    assert [a.label for a in w.figure.axes] == ["x", "y"]


def test_unknown_function_gets_bounds_around_start_and_minimum():
    w = GradDescentWidget(lambda a, b: (a - 1) ** 2 + 3 * (b + 2) ** 2)
    (x_low, x_high), (y_low, y_high) = w.bounds
    assert x_low < 0.3 < 1 < x_high and y_low < -2 < 0.3 < y_high
    np.testing.assert_allclose(w.minima, [[1, -2]], atol=1e-3)
    assert [a.label for a in w.figure.axes] == ["a", "b"]


def test_python_copies_of_player_marks_hold_the_final_state(widget):
    paths = widget.map.paths
    np.testing.assert_array_equal(paths.x[0], widget.trajectory[0, :, 0])
    assert paths.visible and paths.x.shape == (2, 301) and len(paths.colors) == 2


def test_jax_still_fine_after_widget_errors():
    w = GradDescentWidget(goldfield)
    w.learning_rate = 10.0
    assert w.status[0]["state"] == "diverged"
    assert float(jax.grad(lambda x: x**2)(3.0)) == 6.0


def test_slider_snapping_does_not_change_a_value_set_from_python(widget):
    slider = widget.controls.sliders["learning_rate"]
    widget.learning_rate = 0.02
    slider.value = 10**-1.70  # what the browser's slider sends back: its nearest grid step
    assert widget.learning_rate == 0.02
    slider.value = 10**-1.69  # the user moves it one step
    assert widget.learning_rate == pytest.approx(10**-1.69)
