"""The loss plot's y axis: honest log views, ranges that fit, diverged starts named."""

import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield, rosenbrock
from jaxgrad_widgets.widgets.panels.loss_axis import log_ticks, loss_axis


def test_the_log_view_of_a_positive_loss_is_its_logarithm():
    loss = np.array([[100.0, 10.0, 1.0, 0.5]])
    axis = loss_axis(loss, [4], log=True)
    np.testing.assert_allclose(axis.values, np.log10(loss), rtol=1e-6)
    assert axis.label == "loss (log scale)" and axis.log
    assert axis.low < np.log10(0.5) and axis.high > 2.0
    positions, labels = axis.ticks
    assert [labels[k] for k in sorted(labels, key=float)] == ["1", "10", "100"]
    assert positions == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("lowest", [0.0, -2.5])
def test_a_loss_reaching_zero_or_below_is_drawn_above_a_stated_floor(lowest):
    loss = np.array([[lowest + 8.0, lowest + 1.0, lowest]])
    axis = loss_axis(loss, [3], log=True)
    # Every value drawn, the lowest included, is finite: nothing falls off the axis.
    assert np.isfinite(axis.values).all()
    floor = lowest - 1e-3 * 8.0
    assert axis.label == f"loss + {abs(floor):.3g} (log scale)"
    np.testing.assert_allclose(axis.values[0], np.log10(loss[0] - floor), rtol=1e-5)
    assert axis.low <= axis.values.min() and axis.values.max() <= axis.high


def test_a_loss_that_is_never_negative_never_gets_a_negative_axis():
    w = GradDescentWidget(rosenbrock, start=(-1.5, 2.0), learning_rate=0.001, steps=3000)
    assert w.losses.min() < 0.04 * w.losses.max()  # a padding below would cross 0
    assert w.loss_view.y_scale.min == 0.0
    w.learning_rate = 0.0015  # a slider move keeps the range settled, still not below 0
    assert w.loss_view.y_scale.min == 0.0


def test_one_start_far_above_the_others_does_not_flatten_them():
    loss = np.array([[5000.0, 100.0, 3.0], [4.0, 2.0, 1.0], [3.0, 1.5, 1.0]])
    axis = loss_axis(loss, [3, 3, 3], log=False)
    assert axis.clipped == [0]
    assert axis.high < 20  # the others fill the plot; start 0 enters from the top
    w = GradDescentWidget(goldfield, starts=[(1.9, -1.9), (0.3, 0.2), (0.2, 0.3)])
    assert list(w.loss_view.notes.text) == ["↑"]
    assert w.loss_view.notes.colors == [w.loss_view.lines.colors[0]]


def test_a_diverged_start_is_named_where_its_curve_ends():
    w = GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=1.0)
    notes = w.loss_view.notes
    assert list(notes.text) == ["diverged", "diverged"]
    steps = [w.result.diverged_at[j] - 1 for j in range(2)]
    np.testing.assert_array_equal(notes.x, steps)
    assert (notes.y <= w.loss_view.y_scale.max).all()
    w.learning_rate = 0.05
    assert list(w.loss_view.notes.text) == []


def test_log_ticks_within_a_decade_are_one_two_five():
    positions, labels = log_ticks(np.log10(0.15), np.log10(0.9))
    assert [labels[k] for k in sorted(labels, key=float)] == ["0.2", "0.5"]
    assert len(positions) == 2


def test_a_loss_that_only_rises_is_shown_whole():
    # Newton's method walking up from (0.1, 0.1) to goldfield's saddle: 1.9801 -> 2.
    loss = np.array([[1.9801, 1.999, 2.0, 2.0]])
    linear = loss_axis(loss, [4], log=False)
    assert linear.low < 1.9801 and linear.high > 2.0
    log = loss_axis(loss, [4], log=True)
    assert log.low < float(np.nanmin(log.values)) and log.high >= float(np.nanmax(log.values))
