"""The loss panel: loss against step, a line per start, a marker at the current step.

The y axis is always a linear scale; the log view draws logarithms on it with ticks
labelled in the loss's own numbers (:mod:`.loss_axis`), so toggling it swaps no scale
and leaves no broken axis behind. A start that diverged is named where its curve ends;
one that begins above the top is marked there.

Example:
    >>> p = LossPanel()
    >>> p.set_log(True); p.y_axis.label
    'loss (log scale)'
"""

from __future__ import annotations

import bqplot
import ipywidgets
import numpy as np

from ..looks import figure_frame
from ..palette import FRAME_MARKER_COLOR, start_color
from ..player import Arange, slot
from .loss_axis import LossAxis, loss_axis
from .marks import (
    MARGIN,
    Frames,
    axis_pair,
    color_starts,
    float_array,
    padded_rows,
    plot_pixels,
    set_quietly,
    set_ticks,
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

    def __init__(self, height: int = 440) -> None:
        self.x_scale = bqplot.LinearScale(min=0.0, max=1.0, allow_padding=False)
        self.y_scale = bqplot.LinearScale(allow_padding=False)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.lines = bqplot.Lines(
            x=float_array([0.0]), y=float_array([0.0]), scales=scales,
            colors=start_colors(1), stroke_width=2.0, visible=False,
        )  # fmt: skip
        self.marker = bqplot.Lines(
            x=float_array([0.0, 0.0]), y=float_array([0.0, 1.0]), scales=scales,
            colors=[FRAME_MARKER_COLOR], line_style="dashed", stroke_width=1.5,
        )  # fmt: skip
        self._scales = scales
        self._notes: bqplot.Label | None = None
        self.x_axis, self.y_axis = axis_pair(self.x_scale, self.y_scale, "step", "loss")
        self._pixels = plot_pixels(height, width=360)
        # A layout of its own: the dashboard's loss_figure, there for customising.
        self.figure = bqplot.Figure(
            marks=[self.lines, self.marker], axes=[self.x_axis, self.y_axis],
            fig_margin=dict(MARGIN),
            # Its own flex: it sits straight in a dashboard's row of plots.
            layout=ipywidgets.Layout(width="100%", height=f"{height}px", min_width="260px",
                                     flex="1 1 300px"),
            **figure_frame(),
        )  # fmt: skip
        self.figure.add_class("jgw-loss")
        self.log = False
        #: The y axis's name on a linear scale ("loss", "minibatch loss").
        self.linear_label = "loss"

    def player_marks(self) -> list[bqplot.Mark]:
        return [self.lines, self.marker]

    # ------------------------------------------------------------------ what is shown
    def axis_of(self, view: RunView) -> LossAxis:
        """The loss as drawn for ``view`` (its logarithm in the log view), range, name."""
        return loss_axis(view.run.loss, view.lengths, log=self.log, label=self.linear_label)

    def settled_range(self, low: float, high: float, floor: float | None = None):
        """The y range to show: the current one while it still fits the data well.

        A slider move changes the loss range a little; redrawing every loss line for
        a new scale each time costs more than the update itself, so the range only
        changes when the data leave it or use less than half of it, and then takes a
        margin of a tenth of the data's range, never below ``floor``, so that the next
        small moves stay inside.

        Example:
            >>> p = LossPanel()
            >>> p.set_ranges(10, 0.0, 10.0)
            >>> p.settled_range(0.5, 9.0), p.settled_range(0.5, 3.0)
            ((0.0, 10.0), (0.25, 3.25))
            >>> p.settled_range(0.0, 3.0, floor=0.0)
            (0.0, 3.3)
        """
        current_low, current_high = self.y_scale.min, self.y_scale.max
        if current_low is None or current_high is None:
            return low, high
        inside = current_low <= low and high <= current_high
        if inside and (high - low) >= 0.5 * (current_high - current_low):
            return float(current_low), float(current_high)
        margin = 0.1 * (high - low)
        settled = low - margin
        if floor is not None:
            settled = max(settled, floor) if low >= floor else low
        return settled, high + margin

    # ------------------------------------------------------------------ frames
    def frames(self, view: RunView) -> Frames:
        """Whole loss curves (the marker moves along them) and the current-step marker."""
        axis = self.axis_of(view)
        low, high = self.settled_range(axis.low, axis.high,
                                       floor=0.0 if axis.nonnegative else None)  # fmt: skip
        n = axis.values.shape[1]
        buffers = {"y": axis.values, "steps": Arange(n)}
        values = {
            "lengths": view.lengths,
            "tolerance": tolerance(max(n - 1, 1), high - low),
            "low": low,
            "high": high,
        }
        lines = dict(target=0, kind="lines", x="steps", y="y", lengths=slot("lengths"),
                     whole=True, tolerance=slot("tolerance"))  # fmt: skip
        # The marker moves in steps of about a pixel (the plot is ~380 px wide).
        marker = dict(target=1, kind="vline", low=slot("low"), high=slot("high"),
                      every=max(1, (n - 1) // 400), length=n)  # fmt: skip
        return Frames(buffers, [lines, marker], values, drawn=axis)

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: the axes (range, name, ticks), the notes, Python's copies."""
        axis: LossAxis = frames.drawn
        low, high = frames.values["low"], frames.values["high"]
        with self.y_axis.hold_sync():
            self.y_axis.label = axis.label
            positions, labels = axis.ticks if axis.ticks else ([], {})
            if positions:
                self.y_axis.tick_values = np.asarray(positions, np.float64)
            self.y_axis.tick_labels = labels or None
        self.set_ranges(view.run.steps, low, high)
        self._show_notes(view, axis, high)
        color_starts(view.starts, self.lines)
        loss = frames.buffers["y"]
        steps = np.arange(loss.shape[1], dtype=np.float32)
        set_quietly(self.lines, x=steps, y=padded_rows(loss, view.lengths))
        if not self.lines.visible:
            self.lines.visible = True

    @property
    def notes(self) -> bqplot.Label:
        """The notes on the curves: "diverged" where a diverged start's curve ends, "↑"
        for a start above the top (made, on top of the curves, at the first note)."""
        if self._notes is None:
            self._notes = bqplot.Label(
                x=float_array([]), y=float_array([]), text=[], colors=[], scales=self._scales,
                default_size=12, font_weight="bold", align="start", x_offset=4, y_offset=14,
            )  # fmt: skip
            self.figure.marks = [*self.figure.marks, self._notes]
        return self._notes

    def _show_notes(self, view: RunView, axis: LossAxis, top: float) -> None:
        """'diverged' where a diverged start's curve ends; '↑' for a start above the top."""
        xs, ys, texts, colors = [], [], [], []
        for j in range(view.starts):
            if view.run.diverged_at[j] >= 0:
                step = max(view.lengths[j] - 1, 0)
                value = float(axis.values[j, step]) if view.lengths[j] else top
                xs.append(step)
                ys.append(min(value, top) if np.isfinite(value) else top)
                texts.append("diverged")
                colors.append(start_color(j))
        for j in axis.clipped:
            xs.append(0.0)
            ys.append(top)
            texts.append("↑")
            colors.append(start_color(j))
        if not texts and self._notes is None:
            return  # no note yet: no mark either
        with self.notes.hold_sync():
            self.notes.x = float_array(xs)
            self.notes.y = float_array(ys)
            self.notes.text = texts
            self.notes.colors = colors or [FRAME_MARKER_COLOR]

    # ------------------------------------------------------------------ the view
    def set_log(self, log: bool) -> None:
        """Switch between the loss and its logarithm; the next load draws it.

        The current range is forgotten: it is in the other view's units.
        """
        if bool(log) == self.log:
            return
        self.log = bool(log)
        with self.y_scale.hold_sync():
            self.y_scale.min = self.y_scale.max = None
        self.y_axis.label = f"{self.linear_label} (log scale)" if log else self.linear_label

    def set_label(self, label: str) -> None:
        """The y axis's name on a linear scale ("loss", "minibatch loss")."""
        self.linear_label = label
        if not self.log:
            self.y_axis.label = label

    def set_ranges(self, steps: int, low: float, high: float) -> None:
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = 0.0, float(max(steps, 1))
            self.y_scale.min, self.y_scale.max = float(low), float(high)
        set_ticks(self.x_axis, 0.0, float(max(steps, 1)), self._pixels[0])
        if not self.log:  # the log view has its own ticks, at decades
            set_ticks(self.y_axis, float(low), float(high), self._pixels[1])
