"""Fitting to data: bound data, display transforms and the companion data panel."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxgrad_widgets import Companion, GradDescentWidget
from jaxgrad_widgets.engine import ObjectiveError
from jaxgrad_widgets.functions import gaussian_negloglike


@pytest.fixture(scope="module")
def data():
    return np.asarray(jax.random.normal(jax.random.PRNGKey(0), (1000,)) * 2.0 - 3.0)


def density(xs, mu, log_sigma):
    return jax.scipy.stats.norm.pdf(xs, mu, jnp.exp(log_sigma))


def _decode(player, name):
    entry = player.buffers[name]
    return np.frombuffer(entry["data"], dtype="<f4").reshape(entry["shape"])


START = (-6.0, float(np.log(2.0)))


def test_notebook_settings_move_toward_the_sample_statistics(data):
    w = GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          learning_rate=1e-4, steps=300)  # fmt: skip
    mu = w.trajectory[0, :, 0]
    assert mu[-1] > mu[0] and np.all(np.diff(w.losses[0]) <= 1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: dict(f=gaussian_negloglike, argnums=(0, 1), data=d),
        lambda d: dict(f=functools.partial(gaussian_negloglike, data=d)),
        lambda d: dict(f=lambda mu, log_sigma: gaussian_negloglike(mu, log_sigma, d)),
    ],
    ids=["bound-keyword", "partial", "closure"],
)
def test_every_binding_reaches_the_closed_form(data, make):
    kwargs = make(data)
    f = kwargs.pop("f")
    w = GradDescentWidget(f, **kwargs, start=START, learning_rate=0.5, steps=1000)
    mu, log_sigma = w.trajectory[0, -1]
    assert mu == pytest.approx(data.mean(), abs=0.05)
    assert np.exp(log_sigma) == pytest.approx(data.std(), abs=0.05)
    assert [a.label for a in w.figure.axes] == ["mu", "log_sigma"]


def test_display_transform_shows_sigma(data):
    w = GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          learning_rate=0.5, steps=400,
                          display={"log_sigma": ("sigma", jnp.exp)})  # fmt: skip
    assert [a.label for a in w.figure.axes] == ["mu", "sigma"]
    # The axis keeps log-space positions and reads in sigma: tick at log(2) says "2".
    labels = w.map.y_axis.tick_labels
    position = next(float(k) for k, v in labels.items() if v == "2")
    assert position == pytest.approx(np.log(2.0), abs=1e-2)
    assert "final mu, sigma" in w.status_table.value
    assert f"{data.std():.4g}"[:4] in w.status_table.value
    # The optimisation itself stays in log space.
    assert w.trajectory[0, -1, 1] == pytest.approx(np.log(data.std()), abs=0.02)


@pytest.mark.parametrize(
    ("display", "message"),
    [
        ({"sigma": ("s", jnp.exp)}, "display names 'sigma', which is not a parameter"),
        ({"log_sigma": "sigma"}, "display['log_sigma'] must be (shown name, function)"),
    ],
)
def test_bad_display_is_explained(data, display, message):
    with pytest.raises(ObjectiveError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):  # fmt: skip
        GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          display=display)  # fmt: skip


def test_companion_density_per_frame(data):
    w = GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          learning_rate=0.3, steps=200,
                          companion=Companion.histogram(data, density))  # fmt: skip
    curves = _decode(w.player, "data.y")[0]
    xs = _decode(w.player, "data.x")
    assert curves.shape == (201, 120)
    # Frame f is the density of step f's parameters.
    for f in (0, 50, 200):
        mu, log_sigma = w.trajectory[0, f]
        np.testing.assert_allclose(curves[f], density(xs, mu, log_sigma), rtol=1e-4, atol=1e-6)
    assert not np.allclose(curves[0], curves[-1])
    (track,) = [t for t in w.player.tracks if t["kind"] == "windows"]
    assert track["x_static"] == "data.x" and track["y"] == "data.y"
    # The histogram is a density: its area is 1.
    bars = w.companion_view.background
    width = float(bars.x[1] - bars.x[0])
    assert float(np.sum(bars.y) * width) == pytest.approx(1.0, abs=1e-3)


def test_companion_regression_line_over_a_scatter():
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, 80)
    y = 1.5 * x - 0.7 + rng.normal(0, 0.5, 80)

    def mse(w, b, x, y):
        return ((w * x + b - y) ** 2).mean()

    companion = Companion.scatter(x, y, lambda xs, w, b: w * xs + b)
    widget = GradDescentWidget(mse, argnums=(0, 1), x=x, y=y, start=(-2.0, 2.0),
                               learning_rate=0.05, steps=300, companion=companion)  # fmt: skip
    w_fit, b_fit = widget.trajectory[0, -1]
    expected_w, expected_b = np.polyfit(x, y, 1)
    assert w_fit == pytest.approx(expected_w, abs=0.02) and b_fit == pytest.approx(
        expected_b, abs=0.02
    )
    line = _decode(widget.player, "data.y")[0, -1]
    xs = _decode(widget.player, "data.x")
    np.testing.assert_allclose(line, w_fit * xs + b_fit, rtol=1e-5, atol=1e-5)


def test_bad_companions_are_explained(data):
    with pytest.raises(ObjectiveError, match="companion must be a Companion"):
        GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          companion=lambda xs: xs)  # fmt: skip
    with pytest.raises(ObjectiveError, match="x and y must have the same length"):
        Companion.scatter([1, 2, 3], [1, 2], lambda xs, w: xs)
    with pytest.raises(ObjectiveError, match="the companion curve failed"):
        GradDescentWidget(gaussian_negloglike, argnums=(0, 1), data=data, start=START,
                          companion=Companion.histogram(data, lambda xs, mu: xs))  # fmt: skip
