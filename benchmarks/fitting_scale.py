"""Fitting at scale: the maximum-likelihood dashboard with 1,000 and 100,000 data points.

Run: ``.venv/bin/python benchmarks/fitting_scale.py``. Prints a table; asserts nothing.

For each data size, the dashboard of ``examples/mle_gaussian.ipynb`` (Gaussian negative
log likelihood over the data, mu and log_sigma, the histogram with the model density
drawn over it, sigma shown for log_sigma) is built, then its learning-rate slider is
moved as the browser moves it (``slider.set_state``), 25 times. One slider move is
everything the kernel does for it: the descent, the status, the per-frame density
curves and the Player message. The same is measured with minibatches of 256 rows
(stochastic gradients), and the likelihood map (120 x 120, evaluated in batches of
points so that a batch holds at most ``BATCH_ELEMENTS`` data values) on its own.

The issue's target: with 100,000 data points a slider move stays interactive.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from ipywidgets.widgets.widget import _remove_buffers

from jaxgrad_widgets import Companion, GradDescentWidget
from jaxgrad_widgets.engine import Objective, grid_values
from jaxgrad_widgets.engine.landscape import BATCH_ELEMENTS, batch_size
from jaxgrad_widgets.functions import gaussian_negloglike

START = (-6.0, float(np.log(2.0)))
TRIALS = 25


def density(xs, mu, log_sigma):
    return jax.scipy.stats.norm.pdf(xs, mu, jnp.exp(log_sigma))


def dashboard(data: np.ndarray) -> GradDescentWidget:
    return GradDescentWidget(
        gaussian_negloglike,
        argnums=(0, 1),
        data=data,
        start=START,
        learning_rate=0.3,
        steps=200,
        companion=Companion.histogram(data, density),
        display={"log_sigma": ("sigma", jnp.exp)},
    )


def slider_moves(w: GradDescentWidget) -> tuple[float, float]:
    """Median and 90th percentile, in seconds, of one learning-rate slider move."""
    slider = w.controls.sliders["learning_rate"]
    rates = np.geomspace(0.05, 0.5, TRIALS + 3)
    times = []
    for i, rate in enumerate(rates):
        started = time.perf_counter()
        slider.set_state({"value": float(rate)})
        if i >= 3:  # the first moves may still compile
            times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def player_bytes(w: GradDescentWidget) -> int:
    """Bytes of the Player's whole state as the comm sends it (JSON plus binary buffers)."""
    state, _, buffers = _remove_buffers(w.player.get_state())
    return len(json.dumps(state)) + sum(len(b) for b in buffers)


def likelihood_map(data: np.ndarray) -> tuple[float, int]:
    """Seconds for the 120 x 120 map of a fresh objective (compiled once first), batch."""
    objective = Objective(gaussian_negloglike, argnums=(0, 1), fixed={"data": data})
    box = [(-8.0, 2.0), (-1.0, 2.5)]
    grid_values(objective, box, 120)
    started = time.perf_counter()
    grid_values(objective, box, 120)
    return time.perf_counter() - started, batch_size(objective)


def main() -> None:
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, python {sys.version.split()[0]}")
    print(f"map batches hold at most {BATCH_ELEMENTS:,} data values")
    print()
    header = (
        f"{'data points':>12} {'build':>9} {'slider move (median / p90)':>28} "
        f"{'minibatch 256 (median / p90)':>30} {'Player bytes':>13} {'map 120x120':>12} "
        f"{'map batch':>10}"
    )
    print(header)
    for n in (1_000, 100_000):
        data = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (n,)) * 2.0 - 3.0)
        started = time.perf_counter()
        w = dashboard(data)
        build = time.perf_counter() - started
        full = slider_moves(w)
        sent = player_bytes(w)
        w.batch_size = 256
        stochastic = slider_moves(w)
        mu, log_sigma = w.trajectory[0, -1]
        w.close()
        seconds, points_per_batch = likelihood_map(data)
        print(
            f"{n:>12,} {build:>7.2f} s {full[0] * 1e3:>13.1f} / {full[1] * 1e3:6.1f} ms "
            f"{stochastic[0] * 1e3:>15.1f} / {stochastic[1] * 1e3:6.1f} ms {sent:>13,} "
            f"{seconds * 1e3:>9.1f} ms {points_per_batch:>10,}"
        )
        print(
            f"{'':>12} minibatch end: mu {mu:.3f} (sample mean {data.mean():.3f}), "
            f"sigma {np.exp(log_sigma):.3f} (sample std {data.std():.3f})"
        )
    print()
    print("target: a slider move stays interactive with 100,000 data points")


if __name__ == "__main__":
    main()
