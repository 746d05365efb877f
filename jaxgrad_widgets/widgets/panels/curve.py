"""The curve panel: a function of one parameter with points rolling down it.

Used for a function of one parameter (its starts draggable along the curve) and for
the robot on one axis (the slice of the map along the free axis, shown while an
axis is locked). Each start's path runs along the curve, with its current point and
the tangent there.

Example:
    >>> import numpy as np
    >>> c = CurvePanel("x", (-2.0, 2.0), draggable=True)
    >>> c.set_curve(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5) ** 2)
    >>> (c.y_scale.min < 0 < 4 < c.y_scale.max, c.starts.enable_move)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bqplot
import ipywidgets
import numpy as np

from ...engine import Objective, curve_values
from ..looks import figure_frame, layout
from ..palette import CURVE_COLOR
from .marks import (
    MARGIN,
    DraggableStarts,
    Frames,
    StartMarks,
    axis_pair,
    float_array,
    plot_pixels,
    set_ticks,
    tolerance,
)
from .view import RunView

#: Points on a drawn curve.
CURVE_POINTS = 400


class CurvePanel:
    """A curve of one parameter, the starts' paths along it and their tangents.

    ``name`` ("curve" for a 1-D function, "slice" for the robot) names its buffers.
    ``shared_layout``: the figure takes a shared look (a figure nobody is asked to
    customise); by default it has a Layout of its own, which a user may resize.

    Example:
        >>> c = CurvePanel("x", (-1.0, 1.0), name="slice")
        >>> c.starts is None, [type(m).__name__ for m in c.figure.marks]
        (True, ['Lines', 'Lines', 'Lines', 'Scatter'])
    """

    family = True

    def __init__(
        self,
        label: str,
        bounds: tuple[float, float],
        *,
        draggable: bool = False,
        y_label: str = "f",
        name: str = "curve",
        height: int = 440,
        shared_layout: bool = False,
    ) -> None:
        self.name = name
        low, high = bounds
        self.bounds = (float(low), float(high))
        self.x_scale = bqplot.LinearScale(min=float(low), max=float(high), allow_padding=False)
        self.y_scale = bqplot.LinearScale(allow_padding=False)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.curve = bqplot.Lines(
            x=float_array([low, high]), y=float_array([0, 0]), scales=scales,
            colors=[CURVE_COLOR], stroke_width=2.0,
        )  # fmt: skip
        self.marks = StartMarks(scales, low)
        self.paths, self.current, self.arrows = self.marks.player_marks()
        marks = [self.curve, self.paths, self.arrows, self.current]
        self.draggable: DraggableStarts | None = None
        self.starts: bqplot.Scatter | None = None
        if draggable:
            # Along the curve: x within the view, any height (Python puts it back on f).
            self.draggable = DraggableStarts(scales, lambda: (self.bounds, (-np.inf, np.inf)),
                                             restrict_x=True)  # fmt: skip
            self.starts = self.draggable.mark
            marks.append(self.starts)
        self.x_axis, self.y_axis = axis_pair(self.x_scale, self.y_scale, label, y_label)
        self._pixels = plot_pixels(height, width=480)
        set_ticks(self.x_axis, low, high, self._pixels[0])
        look = dict(width="100%", height=f"{height}px", min_width="300px")
        self.figure = bqplot.Figure(
            marks=marks, axes=[self.x_axis, self.y_axis], fig_margin=dict(MARGIN),
            layout=layout(**look) if shared_layout else ipywidgets.Layout(**look), **figure_frame(),
        )  # fmt: skip
        self.figure.add_class(f"jgw-{name}")

    def player_marks(self) -> list[bqplot.Mark]:
        """The marks the Player writes: paths, current points, arrows."""
        return self.marks.player_marks()

    # ------------------------------------------------------------------ the view
    def set_range(self, bounds: tuple[float, float], label: str) -> None:
        """A new x range and axis label (the robot's free axis)."""
        self.bounds = (float(bounds[0]), float(bounds[1]))
        with self.x_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = self.bounds
        set_ticks(self.x_axis, *self.bounds, self._pixels[0])
        self.x_axis.label = label

    def set_curve(self, xs: np.ndarray, ys: np.ndarray, label: str | None = None) -> None:
        """The function's curve; the y range fits its finite values."""
        finite = ys[np.isfinite(ys)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = 0.06 * (high - low) if high > low else max(1.0, abs(high)) * 0.5
        with self.curve.hold_sync():
            self.curve.x = float_array(xs)
            self.curve.y = float_array(ys)
        with self.y_scale.hold_sync():
            self.y_scale.min, self.y_scale.max = low - pad, high + pad
        set_ticks(self.y_axis, low - pad, high + pad, self._pixels[1])
        if label is not None:
            self.y_axis.label = label

    def draw_slice(self, objective: Objective, bounds: tuple[float, float], axis: int,
                   base: Sequence[float], label: str) -> None:  # fmt: skip
        """The function along parameter ``axis`` over ``bounds``, the others held at
        ``base``: the robot's slice (its x axis named after the parameter)."""
        xs, ys = curve_values(objective, bounds, CURVE_POINTS, dim=axis, base=base)
        self.set_range(bounds, objective.names[axis])
        self.set_curve(xs, ys, label=label)

    def set_starts(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Place the start markers on the curve from Python (no echo to the widget)."""
        self.marks.color(len(xs))
        if self.draggable is not None:
            self.draggable.place(xs, ys)

    # ------------------------------------------------------------------ browser input
    def connect(
        self,
        moved: Callable[[int, tuple[float, float]], None],
        placed: Callable[[list[tuple[float, float]]], None],
    ) -> None:
        """As :meth:`MapPanel.connect`, along the curve (any height, x within the view)."""
        if self.draggable is not None:
            self.draggable.connect(moved, placed)

    # ------------------------------------------------------------------ frames
    def axis(self, view: RunView) -> int:
        """The parameter along the curve: the only one, or the robot's free axis."""
        return 0 if view.dims is None else view.free

    def frames(self, view: RunView) -> Frames:
        """Points rolling along the curve, each with its tangent, for the Player."""
        axis = self.axis(view)
        xs, ys, slopes = view.run.params[:, :, axis], view.run.loss, view.grad[:, :, axis]
        width = self.bounds[1] - self.bounds[0]
        height = float(self.y_scale.max - self.y_scale.min) if self.y_scale.max else 1.0
        # The tangent: a segment of half-width h in x with slope f'; h shrinks on steep
        # slopes so the segment stays inside the figure.
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.minimum(0.08 * width, 0.12 * height / np.abs(slopes))
        h = np.where(np.isfinite(h), h, 0.08 * width)
        with np.errstate(invalid="ignore"):  # an infinite slope gives h = 0: 0 x inf is NaN
            rise = h * slopes
        buffers = {
            "x": xs, "y": ys,
            "x0": (xs - h).astype(np.float32), "y0": (ys - rise).astype(np.float32),
            "x1": (xs + h).astype(np.float32), "y1": (ys + rise).astype(np.float32),
        }  # fmt: skip
        arrows = dict(x0="x0", y0="y0", x1="x1", y1="y1", head=0.0)
        tracks = self.marks.tracks("x", "y", arrows, tolerance(width, height))
        return Frames(buffers, tracks, {"lengths": view.lengths})

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: Python's copies of the paths and points, the marks visible."""
        self.marks.show(view.starts, frames.buffers["x"], frames.buffers["y"], view.lengths)
