"""Stochastic gradients: minibatches of the bound data, reproducible by seed."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import GradDescentWidget
from jaxgrad_widgets.engine import (
    ChunkedRun,
    DescentConfigError,
    Minibatch,
    Objective,
    ObjectiveError,
    data_arguments,
    descent_for,
    trajectories,
)
from jaxgrad_widgets.functions import gaussian_negloglike, goldfield

START = [[-6.0, math.log(2.0)]]


@pytest.fixture(scope="module")
def data():
    return np.asarray(jax.random.normal(jax.random.PRNGKey(0), (1000,)) * 2.0 - 3.0)


@pytest.fixture(scope="module")
def nll(data):
    return Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": data})


def _run(objective, size, seed, steps=300, lr=0.2):
    return trajectories(objective, "sgd", START, steps, {"learning_rate": lr},
                        minibatch=Minibatch(size, seed))  # fmt: skip


def test_the_same_seed_gives_the_same_path_and_another_seed_another(nll):
    first, again, other = _run(nll, 32, 7), _run(nll, 32, 7), _run(nll, 32, 8)
    np.testing.assert_array_equal(first.params, again.params)
    assert np.abs(first.params - other.params).max() > 1e-3


def test_minibatch_descent_is_noisy_but_lands_near_the_closed_form(nll, data):
    full = _run(nll, 1000, 0)  # a minibatch of all the rows is the full gradient
    np.testing.assert_array_equal(full.params, trajectories(
        nll, "sgd", START, 300, {"learning_rate": 0.2}).params)  # fmt: skip
    noisy = _run(nll, 64, 3, steps=2000, lr=0.1)
    # Noisy: the minibatch losses go up as well as down ...
    assert (np.diff(noisy.loss[0]) > 0).sum() > 100
    # ... yet the end is near the sample mean and standard deviation.
    mu, log_sigma = noisy.params[0, -1]
    assert mu == pytest.approx(data.mean(), abs=0.25)
    assert math.exp(log_sigma) == pytest.approx(data.std(), abs=0.25)


def test_each_step_sees_only_its_minibatch():
    """With one row per step, the recorded loss is that row's loss: one of the data's."""
    data = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    obj = Objective(lambda m, data: jnp.mean((data - m) ** 2), fixed={"data": data})
    run = trajectories(obj, "sgd", [[0.0]], 20, {"learning_rate": 0.0001},
                       minibatch=Minibatch(1, seed=5))  # fmt: skip
    possible = (data[None, :] - run.params[0, :, :1]) ** 2
    assert np.all(np.isclose(possible, run.loss[0][:, None], rtol=1e-4).any(axis=1))
    assert len(set(np.round(run.loss[0] - run.params[0, :, 0] ** 0, 3))) > 1


def test_regression_data_stays_paired():
    """x and y with the same rows are sampled with the same indices."""
    x = np.arange(100, dtype=np.float32)
    obj = Objective(lambda w, x, y: jnp.mean((w * x - y) ** 2), fixed={"x": x, "y": 3 * x})
    assert data_arguments(obj) == (("x", "y"), 100)
    run = trajectories(obj, "sgd", [[3.0]], 50, {"learning_rate": 1e-5},
                       minibatch=Minibatch(8, seed=1))  # fmt: skip
    # w = 3 fits every pair exactly: a paired minibatch has zero loss and zero gradient.
    assert np.abs(run.loss[0]).max() == 0.0 and np.all(run.params[0, :, 0] == 3.0)


def test_chunked_and_one_shot_runs_agree_with_minibatches(nll):
    job = ChunkedRun(descent_for(nll, "sgd"), START, 300, {"learning_rate": 0.2},
                     minibatch=Minibatch(32, 7))  # fmt: skip
    job.advance(math.inf)
    np.testing.assert_array_equal(job.result().params, _run(nll, 32, 7).params)


@pytest.mark.parametrize(
    ("minibatch", "message"),
    [
        (Minibatch(0), "the minibatch size=0 must be between 1 and 2,147,483,647"),
        (Minibatch(2000), "a minibatch of 2,000 rows is more than the 1,000 rows of data; "
                          "use 1 to 1,000"),
        (Minibatch(2.5), "the minibatch size must be a whole number, not 2.5"),
        (Minibatch(8, seed=-1), "the seed=-1 must be between 0 and 16,777,215"),
        (Minibatch(8, seed=2**24), "the seed=16777216 must be between 0 and 16,777,215"),
        (Minibatch(8, over=("labels",)), "'labels' is not a bound argument of "
                                         "gaussian_negloglike; bound ones: data"),
        ("32", "minibatch must be a Minibatch(size, seed), not a str"),
    ],
)  # fmt: skip
def test_bad_minibatches_are_explained(nll, minibatch, message):
    with pytest.raises(DescentConfigError) as caught:
        trajectories(nll, "sgd", START, 10, minibatch=minibatch)
    assert str(caught.value) == message


def test_a_function_without_bound_data_cannot_have_minibatches():
    with pytest.raises(DescentConfigError, match="minibatches need the data bound as a keyword"):
        trajectories(Objective(goldfield), "sgd", [[0.1, 0.1]], 10, minibatch=Minibatch(4))
    with pytest.raises(ObjectiveError) as caught:
        GradDescentWidget(goldfield, batch_size=4)
    assert str(caught.value) == (
        "minibatches need the data bound as a keyword argument of goldfield "
        "(for example data=samples)"
    )
    assert GradDescentWidget(goldfield).sampling is None


# ---------------------------------------------------------------------- the widget
def _widget(data, **kwargs):
    options = dict(argnums=(0, 1), data=data, start=START[0], learning_rate=0.2, steps=300)
    return GradDescentWidget(gaussian_negloglike, **{**options, **kwargs})


def test_the_minibatch_controls_change_the_path_and_the_loss_label(data):
    w = _widget(data)
    full = w.trajectory.copy()
    assert w.loss_figure.axes[1].label == "loss"
    sizes = [value for _, value in w.sampling.batch.options]
    assert sizes[:3] == [0, 1, 2] and sizes[-1] == 512
    w.sampling.batch.set_state({"index": sizes.index(32)})  # as the browser sends it
    assert w.batch_size == 32 and "minibatches of 32" in w.message
    noisy = w.trajectory.copy()
    assert np.abs(noisy - full).max() > 1e-3
    assert w.loss_figure.axes[1].label == "minibatch loss"
    w.sampling.seed.set_state({"value": 11})
    assert w.seed == 11 and np.abs(w.trajectory - noisy).max() > 1e-3
    w.sampling.seed.set_state({"value": 0})
    np.testing.assert_array_equal(w.trajectory, noisy)
    w.sampling.batch.set_state({"index": 0})
    np.testing.assert_array_equal(w.trajectory, full)


def test_the_status_gives_the_whole_datas_loss(data):
    w = _widget(data, batch_size=16, seed=2)
    final = w.trajectory[0, -1]
    expected = float(gaussian_negloglike(final[0], final[1], data))
    assert w.status[0]["loss"] == pytest.approx(expected, rel=1e-5)


def test_python_sizes_off_the_list_are_shown_and_hostile_seeds_clamped(data):
    w = _widget(data, batch_size=100)
    assert w.sampling.batch.value == 100 and w.sampling.batch.label == "100 rows"
    w.batch_size = 1000  # all the rows: the full gradient
    assert w.batch_size == 0 and w.sampling.batch.value == 0
    w.sampling.seed.set_state({"value": 10**12})
    assert w.seed == w.sampling.seed.max == 2**24 - 1
    with pytest.raises(DescentConfigError, match="more than the 1,000 rows of data"):
        w.batch_size = 5000
    with pytest.raises(ObjectiveError, match="seed=-3 must be between 0 and 16,777,215"):
        w.seed = -3
    assert w.batch_size == 0 and w.trajectory.shape == (1, 301, 2)
