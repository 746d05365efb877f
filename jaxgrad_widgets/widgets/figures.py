"""The bqplot figures: built once, updated in place, never rebuilt on a slider move.

:class:`MapFigure` is the contour map with starts, paths, current points and
gradient arrows; :class:`LossFigure` is loss against step with a frame marker. The
path-like marks are written by the Player in the browser; Python keeps its copy of
them equal to the final state with :func:`set_quietly`.

Example:
    >>> from jaxgrad_widgets.widgets.figures import LossFigure, MapFigure
    >>> m = MapFigure(("x", "y"), ((-2.0, 2.0), (-2.0, 2.0)), max_starts=4)
    >>> len(m.paths), m.figure.axes[0].label
    (4, 'x')
    >>> len(LossFigure(max_starts=4).lines)
    4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from .palette import (
    CONTOUR_COLOR,
    CONTOUR_OPACITY,
    FRAME_MARKER_COLOR,
    MAP_SCHEME,
    MINIMUM_COLOR,
    MINIMUM_STROKE,
    start_color,
)

_MARGIN = {"top": 20, "bottom": 44, "left": 56, "right": 16}


def set_quietly(widget: ipywidgets.Widget, **values: Any) -> None:
    """Set traits in Python without sending them to the browser.

    For marks the Player writes in the browser: the browser already shows these
    values, and sending them again would double every update's payload. Goes under
    traitlets' notification (the values are already validated arrays).

    Example:
        >>> import bqplot, numpy as np
        >>> line = bqplot.Lines(x=[0.0], y=[0.0], scales={"x": bqplot.LinearScale(),
        ...                                             "y": bqplot.LinearScale()})
        >>> set_quietly(line, x=np.arange(3.0))
        >>> line.x.tolist()
        [0.0, 1.0, 2.0]
    """
    for name, value in values.items():
        widget._trait_values[name] = value


def _float_array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


class MapFigure:
    """Contour map of two parameters with draggable starts, paths and arrows.

    Example:
        >>> m = MapFigure(("mu", "sigma"), ((-1.0, 1.0), (0.0, 2.0)), max_starts=2)
        >>> [a.label for a in m.figure.axes]
        ['mu', 'sigma']
    """

    def __init__(
        self,
        labels: Sequence[str],
        bounds: Sequence[tuple[float, float]],
        max_starts: int,
        title: str = "",
    ) -> None:
        (x_low, x_high), (y_low, y_high) = bounds
        self.x_scale = bqplot.LinearScale(min=x_low, max=x_high, allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=y_low, max=y_high, allow_padding=False)
        self.color_scale = bqplot.ColorScale(scheme=MAP_SCHEME, min=0.0, max=1.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.heatmap = bqplot.HeatMap(
            x=_float_array([x_low, x_high]),
            y=_float_array([y_low, y_high]),
            color=np.zeros((2, 2), np.float32),
            scales={**scales, "color": self.color_scale},
        )
        self.contours = bqplot.Lines(
            x=_float_array([x_low]),
            y=_float_array([y_low]),
            scales=scales,
            colors=[CONTOUR_COLOR],
            opacities=[CONTOUR_OPACITY],
            stroke_width=1.0,
        )
        self.minima = bqplot.Scatter(
            x=_float_array([]),
            y=_float_array([]),
            scales=scales,
            marker="cross",
            colors=[MINIMUM_COLOR],
            stroke=MINIMUM_STROKE,
            stroke_width=1.0,
            default_size=90,
            tooltip=bqplot.Tooltip(fields=["x", "y"], formats=[".3f", ".3f"]),
        )
        self.paths = [
            bqplot.Lines(
                x=_float_array([x_low]),
                y=_float_array([y_low]),
                scales=scales,
                colors=[start_color(j)],
                stroke_width=2.5,
                visible=False,
            )
            for j in range(max_starts)
        ]
        self.arrows = bqplot.Lines(
            x=_float_array([x_low]),
            y=_float_array([y_low]),
            scales=scales,
            colors=["#000000"],
            stroke_width=2.0,
            visible=False,
        )
        self.current = bqplot.Scatter(
            x=_float_array([]),
            y=_float_array([]),
            scales=scales,
            default_size=40,
            colors=[start_color(0)],
            stroke="#000000",
            stroke_width=1.0,
        )
        self.starts = bqplot.Scatter(
            x=_float_array([]),
            y=_float_array([]),
            scales=scales,
            default_size=110,
            colors=[start_color(0)],
            stroke="#000000",
            stroke_width=1.5,
            marker="circle",
            enable_move=True,
            update_on_move=False,
            interactions={"click": "add"},
            drag_size=1.3,
        )
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=labels[0], grid_lines="none")
        self.y_axis = bqplot.Axis(
            scale=self.y_scale, label=labels[1], side="left", grid_lines="none"
        )
        self.figure = bqplot.Figure(
            marks=[
                self.heatmap,
                self.contours,
                self.minima,
                *self.paths,
                self.arrows,
                self.current,
                self.starts,
            ],
            axes=[self.x_axis, self.y_axis],
            fig_margin=dict(_MARGIN),
            padding_x=0.0,
            padding_y=0.0,
            title=title,
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="300px"),
        )
        self.figure.add_class("jgw-map")
        self.set_bounds(bounds)

    def set_bounds(self, bounds: Sequence[tuple[float, float]]) -> None:
        """Move the view; the plot area keeps the data's aspect ratio (equal units)."""
        (x_low, x_high), (y_low, y_high) = bounds
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = float(x_low), float(x_high)
            self.y_scale.min, self.y_scale.max = float(y_low), float(y_high)
        ratio = (x_high - x_low) / (y_high - y_low)
        # bqplot's aspect ratio is width / height of the plot area.
        ratio = float(min(max(ratio, 0.25), 4.0))
        with self.figure.hold_sync():
            self.figure.min_aspect_ratio = ratio
            self.figure.max_aspect_ratio = ratio

    def set_landscape(
        self,
        xs: np.ndarray,
        ys: np.ndarray,
        shade: np.ndarray,
        contour_x: np.ndarray,
        contour_y: np.ndarray,
    ) -> None:
        """Shaded background (values in [0, 1]) and contour lines, in one message each."""
        with self.heatmap.hold_sync():
            self.heatmap.x = _float_array(xs)
            self.heatmap.y = _float_array(ys)
            self.heatmap.color = _float_array(shade)
        if contour_x.size == 0:
            contour_x, contour_y = _float_array([xs[0]]), _float_array([ys[0]])
        with self.contours.hold_sync():
            self.contours.x = contour_x
            self.contours.y = contour_y

    def set_minima(self, points: np.ndarray) -> None:
        points = np.asarray(points, np.float32).reshape(-1, 2)
        with self.minima.hold_sync():
            self.minima.x = points[:, 0]
            self.minima.y = points[:, 1]

    def set_starts(self, points: np.ndarray) -> None:
        """Place the start markers (from Python) with one colour each."""
        points = np.asarray(points, np.float32).reshape(-1, 2)
        with self.starts.hold_sync(), self.current.hold_sync():
            self.starts.x = points[:, 0]
            self.starts.y = points[:, 1]
            colors = [start_color(j) for j in range(len(points))] or [start_color(0)]
            self.starts.colors = colors
            self.current.colors = colors

    def show_paths(self, count: int) -> None:
        for j, path in enumerate(self.paths):
            visible = j < count
            if path.visible != visible:
                path.visible = visible
        if not self.arrows.visible:
            self.arrows.visible = True


class LossFigure:
    """Loss against step, one line per start, with a marker at the current frame.

    Example:
        >>> f = LossFigure(max_starts=2)
        >>> f.set_log(True); type(f.y_scale).__name__
        'LogScale'
    """

    def __init__(self, max_starts: int) -> None:
        self.x_scale = bqplot.LinearScale(min=0.0, max=1.0, allow_padding=False)
        self.linear_scale = bqplot.LinearScale()
        self.log_scale = bqplot.LogScale()
        self.y_scale: bqplot.Scale = self.linear_scale
        self.lines = [
            bqplot.Lines(
                x=_float_array([0.0]),
                y=_float_array([0.0]),
                scales={"x": self.x_scale, "y": self.y_scale},
                colors=[start_color(j)],
                stroke_width=2.0,
                visible=False,
            )
            for j in range(max_starts)
        ]
        self.marker = bqplot.Lines(
            x=_float_array([0.0, 0.0]),
            y=_float_array([0.0, 1.0]),
            scales={"x": self.x_scale, "y": self.y_scale},
            colors=[FRAME_MARKER_COLOR],
            line_style="dashed",
            stroke_width=1.5,
        )
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="step", grid_lines="solid")
        self.y_axis = bqplot.Axis(
            scale=self.y_scale,
            label="loss",
            side="left",
            grid_lines="solid",
            tick_format=".3g",
        )
        self.figure = bqplot.Figure(
            marks=[*self.lines, self.marker],
            axes=[self.x_axis, self.y_axis],
            fig_margin={"top": 20, "bottom": 44, "left": 64, "right": 16},
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="260px"),
        )
        self.figure.add_class("jgw-loss")

    def set_log(self, log: bool) -> None:
        """Switch the y axis between linear and log scale, in place."""
        scale = self.log_scale if log else self.linear_scale
        if scale is self.y_scale:
            return
        self.y_scale = scale
        with self.figure.hold_sync():
            for mark in [*self.lines, self.marker]:
                mark.scales = {"x": self.x_scale, "y": scale}
            self.y_axis.scale = scale
            self.y_axis.label = "loss − lowest loss (log)" if log else "loss"

    def settled_range(self, low: float, high: float) -> tuple[float, float]:
        """The y range to show: the current one while it still fits the data well.

        A slider move changes the loss range a little; redrawing every loss line for
        a new scale each time costs more than the update itself, so the range only
        changes when the data leave it or use less than half of it.

        Example:
            >>> f = LossFigure(max_starts=1)
            >>> f.set_ranges(10, 0.0, 10.0)
            >>> f.settled_range(0.5, 9.0), f.settled_range(0.5, 3.0)
            ((0.0, 10.0), (0.5, 3.0))
        """
        current_low, current_high = self.y_scale.min, self.y_scale.max
        if current_low is None or current_high is None:
            return low, high
        inside = current_low <= low and high <= current_high
        if inside and (high - low) >= 0.5 * (current_high - current_low):
            return float(current_low), float(current_high)
        return low, high

    def set_ranges(self, steps: int, low: float, high: float) -> None:
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = 0.0, float(max(steps, 1))
            self.y_scale.min, self.y_scale.max = float(low), float(high)

    def show_lines(self, count: int) -> None:
        for j, line in enumerate(self.lines):
            visible = j < count
            if line.visible != visible:
                line.visible = visible
