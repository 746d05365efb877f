"""The companion data panel: the data, and the model at the current step drawn over it.

A :class:`Companion` says what to draw behind (a histogram of 1-D data, or a scatter
of (x, y) points) and which curve the parameters describe. The dashboard computes
that curve at every step in one call and the Player swaps it frame by frame in the
browser, so the density (or the fitted line) moves as the descent plays.

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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from ..engine.errors import ObjectiveError
from .figures import set_quietly
from .palette import DATA_COLOR, start_color

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


class CompanionFigure:
    """The data panel: the background, and one model curve per start that the Player moves.

    Example:
        >>> c = Companion.scatter([0, 1], [0, 1], lambda xs, w: w * xs)
        >>> len(CompanionFigure(c, max_starts=3).player_marks())
        3
    """

    name = "data"

    def __init__(self, companion: Companion, max_starts: int) -> None:
        self.companion = companion
        self.x_scale = bqplot.LinearScale(
            min=float(companion.xs[0]), max=float(companion.xs[-1]), allow_padding=False
        )
        self.y_scale = bqplot.LinearScale()
        scales = {"x": self.x_scale, "y": self.y_scale}
        if companion.kind == "histogram":
            self.background = bqplot.Bars(
                x=companion.background_x, y=companion.background_y, scales=scales,
                colors=[DATA_COLOR], opacities=[0.55], padding=0.05,
            )  # fmt: skip
        else:
            self.background = bqplot.Scatter(
                x=companion.background_x, y=companion.background_y, scales=scales,
                colors=[DATA_COLOR], default_size=16, default_opacities=[0.6],
            )  # fmt: skip
        self.curves = [
            bqplot.Lines(x=companion.xs, y=np.zeros_like(companion.xs), scales=scales,
                         colors=[start_color(j)], stroke_width=2.5, visible=False)
            for j in range(max_starts)
        ]  # fmt: skip
        axes = [
            bqplot.Axis(scale=self.x_scale, label=companion.x_label, grid_lines="none"),
            bqplot.Axis(scale=self.y_scale, label=companion.y_label, side="left",
                        grid_lines="solid", tick_format=".3g"),
        ]  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[self.background, *self.curves], axes=axes,
            fig_margin={"top": 20, "bottom": 44, "left": 64, "right": 16},
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="260px"),
        )  # fmt: skip
        self.figure.add_class("jgw-data")

    def player_marks(self) -> list[bqplot.Mark]:
        return list(self.curves)

    def frames(self, curves: np.ndarray, lengths: Sequence[int]):
        """One window track per start: the curve at frame f is row f of its buffer."""
        buffers: dict[str, Any] = {"data.x": self.companion.xs}
        tracks = []
        for j, length in enumerate(lengths):
            buffers[f"data.y{j}"] = curves[j]
            tracks.append(dict(target=j, kind="window", x_static="data.x", y=f"data.y{j}",
                               length=max(int(length), 1)))  # fmt: skip
        self._set_y_range(curves, lengths)
        return buffers, tracks

    def _set_y_range(self, curves: np.ndarray, lengths: Sequence[int]) -> None:
        shown = [curves[j, : max(length, 1)] for j, length in enumerate(lengths)]
        values = np.concatenate([v.reshape(-1) for v in shown] + [self.companion.background_y])
        values = values[np.isfinite(values)]
        low, high = float(values.min()), float(values.max())
        if self.companion.kind == "histogram":
            low = 0.0
            # A far-off start makes a tall, thin density: do not let it flatten the data.
            high = min(high, 3.0 * float(self.companion.background_y.max()))
        pad = 0.05 * (high - low or 1.0)
        with self.y_scale.hold_sync():
            self.y_scale.min, self.y_scale.max = low if low == 0.0 else low - pad, high + pad

    def show_paths(self, count: int) -> None:
        for j, curve in enumerate(self.curves):
            if curve.visible != (j < count):
                curve.visible = j < count

    def keep_python_copies(self, curves: np.ndarray, lengths: Sequence[int]) -> None:
        for j, length in enumerate(lengths):
            set_quietly(self.curves[j], y=curves[j, max(length, 1) - 1])
