"""The loss panel: loss against step, a line per start, a marker at the current step.

Example:
    >>> p = LossPanel()
    >>> p.set_log(True); type(p.y_scale).__name__
    'LogScale'
"""

from __future__ import annotations

import bqplot
import ipywidgets
import numpy as np

from ..palette import FRAME_MARKER_COLOR
from ..player import Arange, slot
from .marks import (
    Frames,
    float_array,
    log_tolerance,
    padded_rows,
    set_quietly,
    start_colors,
    tolerance,
)
from .view import RunView


class LossPanel:
    """Loss against step, one line per start (one mark), with the current-step marker.

    Example:
        >>> from jaxgrad_widgets.engine import Objective, trajectories
        >>> run = trajectories(Objective(lambda x: x**2), "sgd", [[1.0]], 20,
        ...                    {"learning_rate": 0.1})
        >>> frames = LossPanel().frames(RunView.of(run))
        >>> [t["kind"] for t in frames.tracks], frames.values["lengths"]
        (['lines', 'vline'], [21])
    """

    name = "loss"
    family = True

    def __init__(self) -> None:
        self.x_scale = bqplot.LinearScale(min=0.0, max=1.0, allow_padding=False)
        self.linear_scale = bqplot.LinearScale()
        self.log_scale = bqplot.LogScale()
        self.y_scale: bqplot.Scale = self.linear_scale
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.lines = bqplot.Lines(
            x=float_array([0.0]), y=float_array([0.0]), scales=scales,
            colors=start_colors(1), stroke_width=2.0, visible=False,
        )  # fmt: skip
        self.marker = bqplot.Lines(
            x=float_array([0.0, 0.0]), y=float_array([0.0, 1.0]), scales=scales,
            colors=[FRAME_MARKER_COLOR], line_style="dashed", stroke_width=1.5,
        )  # fmt: skip
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="step", grid_lines="solid")
        self.y_axis = bqplot.Axis(scale=self.y_scale, label="loss", side="left",
                                  grid_lines="solid", tick_format=".3g")  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[self.lines, self.marker], axes=[self.x_axis, self.y_axis],
            fig_margin={"top": 20, "bottom": 44, "left": 64, "right": 16},
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="260px"),
        )  # fmt: skip
        self.figure.add_class("jgw-loss")
        self.log = False
        #: The y axis's name on a linear scale ("loss", "minibatch loss").
        self.linear_label = "loss"
        self._count = 1

    def player_marks(self) -> list[bqplot.Mark]:
        return [self.lines, self.marker]

    # ------------------------------------------------------------------ what is shown
    def shown_loss(self, view: RunView) -> tuple[np.ndarray, float, float]:
        """The loss as drawn (above the lowest, on a log axis) and the range to show."""
        run, lengths = view.run, view.lengths
        valid = np.concatenate([run.loss[j, : lengths[j]] for j in range(run.n_starts)])
        valid = valid[np.isfinite(valid)]
        if valid.size == 0:
            return run.loss, 0.0, 1.0
        lowest = float(valid.min())
        if self.log:
            floor = 1e-9 * max(1.0, abs(lowest))
            shown = np.maximum(run.loss - lowest, floor).astype(np.float32)
            top = float(np.nanmax(np.where(np.isfinite(shown), shown, np.nan)))
            return shown, floor, max(top, floor * 10)
        first = run.loss[:, 0][np.isfinite(run.loss[:, 0])]
        # A diverging start's loss explodes; cap the view at 10x the starting range.
        high = float(valid.max())
        if first.size:
            high = min(high, lowest + 10 * max(float(first.max()) - lowest, 1e-6))
        if high <= lowest:
            high = lowest + max(1e-6, abs(lowest) * 1e-3)
        pad = 0.04 * (high - lowest)
        return run.loss, lowest - pad, high + pad

    def settled_range(self, low: float, high: float) -> tuple[float, float]:
        """The y range to show: the current one while it still fits the data well.

        A slider move changes the loss range a little; redrawing every loss line for
        a new scale each time costs more than the update itself, so the range only
        changes when the data leave it or use less than half of it, and then takes a
        margin of a tenth of the data's range (on a linear axis), so that the next
        small moves stay inside.

        Example:
            >>> p = LossPanel()
            >>> p.set_ranges(10, 0.0, 10.0)
            >>> p.settled_range(0.5, 9.0), p.settled_range(0.5, 3.0)
            ((0.0, 10.0), (0.25, 3.25))
        """
        current_low, current_high = self.y_scale.min, self.y_scale.max
        if current_low is None or current_high is None:
            return low, high
        inside = current_low <= low and high <= current_high
        if inside and (high - low) >= 0.5 * (current_high - current_low):
            return float(current_low), float(current_high)
        if isinstance(self.y_scale, bqplot.LogScale):
            return low, high  # the log range starts at the data's floor: no margin below it
        margin = 0.1 * (high - low)
        return low - margin, high + margin

    # ------------------------------------------------------------------ frames
    def frames(self, view: RunView) -> Frames:
        """Whole loss curves (the marker moves along them) and the current-step marker.

        The curves are drawn simplified to what the eye sees on a linear y axis and,
        when the range is positive, on a log one too (the scale may switch later).
        """
        loss, low, high = self.shown_loss(view)
        low, high = self.settled_range(low, high)
        n = loss.shape[1]
        buffers = {"y": loss, "steps": Arange(n)}
        values = {
            "lengths": view.lengths,
            "tolerance": tolerance(max(n - 1, 1), high - low),
            "log_tolerance": log_tolerance(low, high),
            "low": low,
            "high": high,
        }
        lines = dict(target=0, kind="lines", x="steps", y="y", lengths=slot("lengths"),
                     whole=True, tolerance=slot("tolerance"),
                     log_tolerance=slot("log_tolerance"))  # fmt: skip
        # The marker moves in steps of about a pixel (the plot is ~380 px wide).
        marker = dict(target=1, kind="vline", low=slot("low"), high=slot("high"),
                      every=max(1, (n - 1) // 400), length=n)  # fmt: skip
        return Frames(buffers, [lines, marker], values)

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: the axes' ranges, Python's copies of the lines, visible."""
        loss = frames.buffers["y"]
        self.set_ranges(view.run.steps, frames.values["low"], frames.values["high"])
        if view.starts != self._count:
            self._count = view.starts
            self.lines.colors = start_colors(view.starts)
        steps = np.arange(loss.shape[1], dtype=np.float32)
        set_quietly(self.lines, x=steps, y=padded_rows(loss, view.lengths))
        if not self.lines.visible:
            self.lines.visible = True

    # ------------------------------------------------------------------ the view
    def set_log(self, log: bool) -> None:
        """Switch the y axis between linear and log scale, in place."""
        self.log = bool(log)
        scale = self.log_scale if log else self.linear_scale
        if scale is self.y_scale:
            return
        self.y_scale = scale
        with self.figure.hold_sync():
            for mark in (self.lines, self.marker):
                mark.scales = {"x": self.x_scale, "y": scale}
            self.y_axis.scale = scale
            self.y_axis.label = "loss − lowest loss (log)" if log else self.linear_label

    def set_label(self, label: str) -> None:
        """The y axis's name on a linear scale ("loss", "minibatch loss")."""
        self.linear_label = label
        if not self.log:
            self.y_axis.label = label

    def set_ranges(self, steps: int, low: float, high: float) -> None:
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = 0.0, float(max(steps, 1))
            self.y_scale.min, self.y_scale.max = float(low), float(high)
