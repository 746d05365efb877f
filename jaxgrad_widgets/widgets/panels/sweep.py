"""The sweep panel: final loss against learning rate, every start, on log-log axes.

It draws a :class:`~jaxgrad_widgets.engine.sweep.Sweep`: one curve per start in its
colour, the rates where some start diverges shaded, the stability limit theory gives
as a dashed line named by its formula, and the current rate as a vertical marker. A
click in the plot asks for that learning rate. Both axes are log scales with ticks at
whole decades; a loss of 0 or below is drawn above a floor just under the lowest one,
named on the axis, instead of vanishing.

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.sweep import learning_rate_sweep
    >>> s = learning_rate_sweep(Objective(lambda x, y: x**2 + 10 * y**2), "sgd",
    ...                         [[1.0, 1.0]], 300, rates=10.0 ** np.linspace(-3, 0, 31))
    >>> panel = SweepPanel()
    >>> panel.show(s, rate=0.05)
    >>> panel.theory_label.text.tolist(), panel.curves.y.shape, len(panel.band.x) >= 1
    (['2 / λmax = 0.1'], (31,), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import bqplot
import numpy as np

from ...engine.sweep import Sweep
from ..looks import figure_frame, layout
from ..palette import (
    FRAME_MARKER_COLOR,
    SWEEP_DIVERGED_COLOR,
    SWEEP_DIVERGED_OPACITY,
    THEORY_COLOR,
)
from .loss_axis import MIN_DECADES, PAD, log_floor, log_ticks
from .marks import MARGIN, axis_pair, color_starts, float_array

#: The top of the plot, in decades above the highest starting loss: a diverged run's
#: curve is drawn up to it (entering the shaded band), not off to infinity.
DIVERGED_DECADES = 1.0


def _floor(sweep: Sweep) -> tuple[float, str]:
    """The value subtracted before taking logs (0 when every loss is positive) and the
    y axis's name."""
    settled = sweep.final_loss[~sweep.diverged & np.isfinite(sweep.final_loss)]
    lowest = float(np.concatenate([settled, sweep.start_loss]).min())
    return log_floor(lowest, float(sweep.start_loss.max()), "final loss")


def _bands(rates: np.ndarray, diverged: np.ndarray) -> list[tuple[float, float]]:
    """The runs of rates (as log10 edges halfway to the neighbours) where any start diverges.

    Example:
        >>> _bands(np.array([0.01, 0.1, 1.0, 10.0]), np.array([[False, False, True, True]]))
        [(-0.5, 1.0)]
    """
    logs = np.log10(rates)
    edges = np.concatenate([[logs[0]], (logs[1:] + logs[:-1]) / 2, [logs[-1]]])
    any_diverged = diverged.any(axis=0)
    bands, first = [], None
    for i, flag in enumerate([*any_diverged, False]):
        if flag and first is None:
            first = i
        elif not flag and first is not None:
            bands.append((float(edges[first]), float(edges[i])))
            first = None
    return bands


class SweepPanel:
    """Final loss against learning rate (log-log), one curve per start.

    Attributes:
        on_rate: called with the learning rate a click in the plot asks for.

    Example:
        >>> panel = SweepPanel()
        >>> [type(m).__name__ for m in panel.figure.marks]
        ['Lines', 'Lines', 'Lines', 'Lines', 'Label', 'Scatter']
    """

    def __init__(self, height: int = 440) -> None:
        self.x_scale = bqplot.LogScale(min=1e-5, max=10.0, allow_padding=False)
        self.y_scale = bqplot.LogScale(min=0.1, max=10.0, allow_padding=False)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.band = bqplot.Lines(
            x=float_array([[1.0] * 5]), y=float_array([[1.0] * 5]), scales=scales,
            fill="inside", colors=[SWEEP_DIVERGED_COLOR], fill_colors=[SWEEP_DIVERGED_COLOR],
            fill_opacities=[SWEEP_DIVERGED_OPACITY], stroke_width=0.0, visible=False,
        )  # fmt: skip
        self.curves = bqplot.Lines(
            x=float_array([1.0]), y=float_array([1.0]), scales=scales, stroke_width=2.0,
            visible=False,
        )  # fmt: skip
        self.theory = bqplot.Lines(
            x=float_array([1.0, 1.0]), y=float_array([1.0, 2.0]), scales=scales,
            colors=[THEORY_COLOR], line_style="dashed", stroke_width=1.5, visible=False,
        )  # fmt: skip
        self.marker = bqplot.Lines(
            x=float_array([1.0, 1.0]), y=float_array([1.0, 2.0]), scales=scales,
            colors=[FRAME_MARKER_COLOR], stroke_width=2.0, visible=False,
        )  # fmt: skip
        self.theory_label = bqplot.Label(
            x=float_array([]), y=float_array([]), text=[], scales=scales, colors=[THEORY_COLOR],
            default_size=12, align="end", x_offset=-4, y_offset=-6,
        )  # fmt: skip
        # A click anywhere in the plot adds a point here; it is read as a rate and removed.
        self.clicks = bqplot.Scatter(
            x=float_array([]), y=float_array([]), scales=scales, opacities=[0.0],
            interactions={"click": "add"},
        )  # fmt: skip
        self.x_axis, self.y_axis = axis_pair(self.x_scale, self.y_scale,
                                             "learning rate (log scale; click to choose)",
                                             "final loss")  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[self.band, self.curves, self.theory, self.marker, self.theory_label,
                   self.clicks],
            axes=[self.x_axis, self.y_axis], fig_margin=dict(MARGIN),
            title="final loss by learning rate",
            layout=layout(width="100%", height=f"{height}px", min_width="300px",
                          flex="1 1 340px"),
            **figure_frame(),
        )  # fmt: skip
        self.figure.add_class("jgw-sweep")
        self.on_rate: Callable[[float], None] = lambda _rate: None
        self._clearing = False
        self.clicks.observe(self._clicked, names=["x"])

    # ------------------------------------------------------------------ browser input
    def _clicked(self, change: dict[str, Any]) -> None:
        if self._clearing:
            return
        xs = np.asarray(change["new"], np.float64).reshape(-1)
        self._clearing = True
        try:
            with self.clicks.hold_sync():
                self.clicks.x = float_array([])
                self.clicks.y = float_array([])
        finally:
            self._clearing = False
        if xs.size == 0 or not np.isfinite(xs[-1]):
            return
        # Within the plotted rates (a click in the margin lands outside them).
        low, high = float(self.x_scale.min), float(self.x_scale.max)
        if xs[-1] > 0:
            self.on_rate(min(max(float(xs[-1]), low), high))

    # ------------------------------------------------------------------ drawing
    def show(self, sweep: Sweep, rate: float) -> None:
        """Draw ``sweep`` with the marker at ``rate``."""
        floor, label = _floor(sweep)
        logs = np.log10(sweep.rates)
        with np.errstate(divide="ignore", invalid="ignore"):
            heights = np.log10(sweep.final_loss - floor)
            start_heights = np.log10(sweep.start_loss - floor)
        settled = heights[~sweep.diverged & np.isfinite(heights)]
        low = float(settled.min()) if settled.size else float(start_heights.min()) - 1.0
        top = float(start_heights.max()) + DIVERGED_DECADES
        if top - low < MIN_DECADES:
            low = top - MIN_DECADES
        pad = PAD * (top - low)
        low, high = low - pad, top + pad
        # A diverged run is drawn at the top: its curve rises into the shaded band.
        drawn = np.where(sweep.diverged | ~np.isfinite(heights), top, np.minimum(heights, top))
        x_low, x_high = float(logs.min()), float(logs.max())
        if x_high - x_low < MIN_DECADES:
            x_low, x_high = x_low - MIN_DECADES / 2, x_high + MIN_DECADES / 2
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = 10.0**x_low, 10.0**x_high
            self.y_scale.min, self.y_scale.max = 10.0**low, 10.0**high
        # Ticks at whole decades (or 1-2-5 within one), written as numbers.
        for axis, (a, b) in ((self.x_axis, (x_low, x_high)), (self.y_axis, (low, high))):
            positions, _labels = log_ticks(a, b)
            axis.tick_values = np.asarray([10.0**p for p in positions], np.float64)
        self.y_axis.label = label
        color_starts(sweep.n_starts, self.curves)
        with self.curves.hold_sync():
            self.curves.x = np.repeat(sweep.rates[None, :], sweep.n_starts, axis=0)
            self.curves.y = 10.0**drawn
            self.curves.visible = True
        self._show_bands(_bands(sweep.rates, sweep.diverged), 10.0**low, 10.0**high)
        self._show_theory(sweep, 10.0**low, 10.0**high)
        self._marker_range = (10.0**low, 10.0**high)
        self.set_rate(rate)
        self.figure.title = f"final loss after {sweep.steps:,} steps"

    def _show_bands(self, bands: list[tuple[float, float]], low: float, high: float) -> None:
        with self.band.hold_sync():
            if bands:
                self.band.x = np.array([[10.0**a, 10.0**b, 10.0**b, 10.0**a, 10.0**a]
                                        for a, b in bands])  # fmt: skip
                self.band.y = np.array([[low, low, high, high, low] for _ in bands])
                self.band.fill_colors = [SWEEP_DIVERGED_COLOR] * len(bands)
                self.band.fill_opacities = [SWEEP_DIVERGED_OPACITY] * len(bands)
                self.band.colors = [SWEEP_DIVERGED_COLOR] * len(bands)
            self.band.visible = bool(bands)

    def _show_theory(self, sweep: Sweep, low: float, high: float) -> None:
        """One dashed line per distinct limit, named by its formula and value."""
        limits: list[float] = []
        for value in sweep.theory_limit:
            if value is not None and not any(math.isclose(value, v, rel_tol=1e-3)
                                             for v in limits):  # fmt: skip
                limits.append(value)
        x_low, x_high = self.x_scale.min, self.x_scale.max
        limits = [v for v in limits if x_low <= v <= x_high]
        with self.theory.hold_sync(), self.theory_label.hold_sync():
            if limits:
                self.theory.x = np.array([[v, v] for v in limits])
                self.theory.y = np.array([[low, high] for _ in limits])
                self.theory.colors = [THEORY_COLOR] * len(limits)
                self.theory_label.x = np.array(limits)
                # At the foot of the line, clear of the title and the diverged curves.
                self.theory_label.y = np.array([low] * len(limits))
                self.theory_label.text = [f"{sweep.theory} = {v:.3g}" for v in limits]
            else:
                self.theory_label.x = self.theory_label.y = float_array([])
                self.theory_label.text = []
            self.theory.visible = bool(limits)

    def clear(self, why: str) -> None:
        """Show nothing but ``why`` (the sweep cannot be drawn for these inputs)."""
        for mark in (self.curves, self.band, self.theory, self.marker):
            mark.visible = False
        self.theory_label.text = []
        self.theory_label.x = self.theory_label.y = float_array([])
        self.figure.title = why

    def set_rate(self, rate: float) -> None:
        """Move the current-rate marker (the sweep itself does not change with the rate)."""
        low, high = getattr(self, "_marker_range", (1.0, 2.0))
        if not rate > 0:
            return
        with self.marker.hold_sync():
            self.marker.x = np.array([rate, rate])
            self.marker.y = np.array([low, high])
            self.marker.visible = True
