"""The companion data panel: the data, and the model at the current step drawn over it.

A :class:`Companion` says what to draw behind (a histogram of 1-D data, or a scatter
of (x, y) points) and which curve the parameters describe. The dashboard's companion
panel (:mod:`.panels.companion`) computes that curve at every step in one call and the
Player swaps it frame by frame in the browser, so the density (or the fitted line)
moves as the descent plays.

Example:
    >>> import jax, numpy as np
    >>> from jaxgrad_widgets.widgets.companion import Companion
    >>> data = np.random.default_rng(0).normal(-3, 2, 1000)
    >>> c = Companion.histogram(data, lambda xs, mu, log_sigma: jax.scipy.stats.norm.pdf(
    ...     xs, mu, jax.numpy.exp(log_sigma)))
    >>> c.kind, c.xs.shape, c.background_x.shape
    ('histogram', (120,), (40,))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.errors import ObjectiveError

#: Points on each per-frame curve: smooth at figure size, light on the wire.
CURVE_POINTS = 120
#: The most data points a scatter background draws (a random subset beyond it).
MAX_SCATTER_POINTS = 2000


def _finite_1d(values: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ObjectiveError(f"{name} must be numbers") from None
    array = array[np.isfinite(array)]
    if array.size == 0:
        raise ObjectiveError(f"{name} has no finite values to draw")
    return array


@dataclass(frozen=True)
class Companion:
    """What the data panel shows: a background and a curve of the parameters.

    ``curve(xs, *params)`` gets the x values and the optimised arguments (in
    ``argnums`` order) and returns one y per x, in JAX (it is vmapped over steps).
    Build one with :meth:`histogram` or :meth:`scatter`.

    Example:
        >>> c = Companion.scatter([0, 1, 2], [1, 3, 5], lambda xs, w, b: w * xs + b)
        >>> c.kind, round(float(c.xs.min()), 3), round(float(c.xs.max()), 3)
        ('scatter', -0.1, 2.1)
    """

    kind: str
    curve: Callable[..., Any]
    xs: np.ndarray
    background_x: np.ndarray
    background_y: np.ndarray
    x_label: str = "x"
    y_label: str = ""

    @classmethod
    def histogram(
        cls,
        data: Any,
        curve: Callable[..., Any],
        *,
        bins: int = 40,
        x_label: str = "data",
        y_label: str = "density",
    ) -> Companion:
        """A density histogram of 1-D ``data`` with ``curve`` (a density) over it.

        Example:
            >>> c = Companion.histogram([0.0, 1.0, 1.0, 2.0], lambda xs, m: xs * 0 + m, bins=2)
            >>> c.background_y.tolist()
            [0.25, 0.75]
        """
        values = _finite_1d(data, "data")
        counts, edges = np.histogram(values, bins=int(min(max(bins, 2), 400)), density=True)
        pad = 0.05 * (edges[-1] - edges[0] or 1.0)
        xs = np.linspace(edges[0] - pad, edges[-1] + pad, CURVE_POINTS, dtype=np.float32)
        centres = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
        return cls("histogram", curve, xs, centres, counts.astype(np.float32), x_label, y_label)

    @classmethod
    def scatter(
        cls,
        x: Any,
        y: Any,
        curve: Callable[..., Any],
        *,
        x_label: str = "x",
        y_label: str = "y",
    ) -> Companion:
        """Points (x, y) with ``curve`` (a fitted line or function) over them.

        Example:
            >>> Companion.scatter([0, 1], [0, 1], lambda xs, w: w * xs).background_x.tolist()
            [0.0, 1.0]
        """
        xv, yv = np.asarray(x, dtype=np.float64).reshape(-1), np.asarray(y, np.float64).reshape(-1)
        if xv.shape != yv.shape:
            raise ObjectiveError(f"x and y must have the same length, got {xv.size} and {yv.size}")
        keep = np.isfinite(xv) & np.isfinite(yv)
        xv, yv = xv[keep], yv[keep]
        if xv.size == 0:
            raise ObjectiveError("the scatter has no finite points to draw")
        if xv.size > MAX_SCATTER_POINTS:
            chosen = np.random.default_rng(0).choice(xv.size, MAX_SCATTER_POINTS, replace=False)
            xv, yv = xv[chosen], yv[chosen]
        pad = 0.05 * (xv.max() - xv.min() or 1.0)
        xs = np.linspace(xv.min() - pad, xv.max() + pad, CURVE_POINTS, dtype=np.float32)
        return cls("scatter", curve, xs, xv.astype(np.float32), yv.astype(np.float32),
                   x_label, y_label)  # fmt: skip
