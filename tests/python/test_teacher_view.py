"""What a teacher sees, headless: typed values kept, arrows that say how steep, start buttons
that do what they say. (The browser tests in tests/e2e/test_teacher_view.py click them.)"""

import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.functions import goldfield
from jaxgrad_widgets.widgets.panels.marks import ARROW_FRACTION
from jaxgrad_widgets.widgets.player import unpack_wire


@pytest.fixture
def widget():
    return GradDescentWidget(goldfield, starts=[(0.1, 0.1), (-0.1, -0.1)], learning_rate=0.05)


def test_a_typed_learning_rate_is_kept_exactly(widget):
    entry = widget.controls.entries["learning_rate"]
    entry.value = "0.3"  # what the browser sends on Enter
    assert widget.learning_rate == 0.3
    assert widget.controls.sliders["learning_rate"].value == 0.3
    assert entry.value == "0.3" and "learning rate 0.3," in widget.message
    # Text that is no number, or out of range, is refused and the box shows the value in use.
    entry.value = "fast"
    assert widget.message == "learning rate must be a number, not 'fast'"
    assert entry.value == "0.3" and widget.learning_rate == 0.3
    entry.value = "50"
    assert "outside the allowed range" in widget.message and entry.value == "0.3"
    entry.value = "x" * 5000
    assert widget.message.startswith("learning rate must be a number") and len(widget.message) < 80


def test_a_learning_rate_given_to_the_constructor_shows_as_given():
    w = GradDescentWidget(goldfield, learning_rate=0.3)
    assert w.controls.entries["learning_rate"].value == "0.3"
    assert "learning rate 0.3," in w.message and w.learning_rate == 0.3


def test_a_typed_momentum_is_kept_exactly():
    w = GradDescentWidget(goldfield, optimizer="momentum")
    w.controls.entries["momentum"].value = "0.95"
    assert w.hyperparameters["momentum"] == 0.95
    # A box of a hyperparameter the optimizer does not take changes nothing.
    hyperparameters, runs = dict(w.hyperparameters), w.scheduler.runs
    w.controls.entries["b1"].value = "0.5"
    assert w.hyperparameters == hyperparameters and w.scheduler.runs == runs


def test_arrows_say_how_steep_it_is(widget):
    width = widget.bounds[0][1] - widget.bounds[0][0]
    lengths = _arrow_lengths(widget)
    # Converged on a minimum (|grad| about 1e-4): no arrow to speak of.
    assert lengths[:, -1].max() < 1e-4 * width
    # On a steep wall: nearly the cap.
    steep = GradDescentWidget(goldfield, start=(1.9, -1.9))
    cap = ARROW_FRACTION * (steep.bounds[0][1] - steep.bounds[0][0])
    assert 0.8 * cap < _arrow_lengths(steep)[0, 0] <= cap


def _arrow_lengths(w):
    """Each arrow's length at each step, as the browser receives them."""
    arrays = unpack_wire(w.player.buffer_layout, w.player.buffer_data)
    return np.hypot(arrays["map.ax"] - arrays["map.px"], arrays["map.ay"] - arrays["map.py"])


def test_the_start_buttons_do_what_they_say(widget):
    for point in [(1.0, -1.0), (0.5, 0.5), (-1.5, 1.5)]:
        widget.add_start(point)
    assert len(widget.starts) == 5
    assert not widget.clear_button.disabled and not widget.remove_button.disabled
    assert widget.clear_button.description == "keep first start only"
    widget.clear_button.click()
    np.testing.assert_array_equal(widget.starts, np.float32([[0.1, 0.1]]))
    assert widget.clear_button.disabled and widget.remove_button.disabled
    widget.add_start((1.0, 1.0))
    assert not widget.clear_button.disabled


def test_words_a_teacher_reads():
    # The divergence hint is part of the summary, as on the page.
    w = GradDescentWidget(goldfield, learning_rate=1.0)
    assert w.status[0]["summary"] == "diverged at step 5 — try a learning rate of 0.125 or less"
    assert "diverged at step 5 — try a learning rate of 0.125 or less" in w.status_table.value
    # A path going to and fro says so (rate 0.099, the stable limit along y is 0.1).
    bowl = GradDescentWidget(lambda x, y: x**2 + 10 * y**2, start=(1.0, 1.0), learning_rate=0.099)
    assert bowl.status[0]["summary"] == "oscillating after 300 steps"
    # Under a lock, a start already flat along the free axis says why it stopped at once.
    locked = GradDescentWidget(goldfield, start=(0.1, 0.1), lock={"y": 0.1})
    assert locked.status[0]["summary"] == (
        "converged at step 0: with y locked, ∂f/∂x is already 0 at the start"
    )
    # A function of one parameter shows its final point as a number.
    from jaxgrad_widgets.functions import polynomial

    assert "<td>-0.6667</td>" in GradDescentWidget(polynomial).status_table.value


def test_minibatch_noise_is_not_called_oscillation():
    from jaxgrad_widgets.functions import gaussian_negloglike

    data = np.random.default_rng(0).normal(-3.0, 2.0, 1000)
    w = GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=(-6.0, 0.7),
                          learning_rate=0.1, steps=400, batch_size=32)  # fmt: skip
    assert w.status[0]["summary"] == (
        "still moving after 400 steps (each step sees another minibatch)"
    )
