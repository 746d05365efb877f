"""The bqplot figures: built once, updated in place, never rebuilt on a slider move.

:class:`MapFigure` is the contour map of two parameters; :class:`CurveFigure` a curve
of one parameter (a 1-D function, or the robot's slice of a 2-D one); both show the
starts, their paths, the current points and the direction of descent.
:class:`LossFigure` is loss against step. Each figure names the marks the Player
writes (``player_marks``) and turns a run into Player buffers and tracks
(``frames``); Python keeps its copy of those marks equal to the final state with
:func:`set_quietly`.

Example:
    >>> from jaxgrad_widgets.widgets.figures import CurveFigure, LossFigure, MapFigure
    >>> m = MapFigure(("x", "y"), ((-2.0, 2.0), (-2.0, 2.0)), max_starts=4)
    >>> len(m.paths), m.figure.axes[0].label
    (4, 'x')
    >>> len(LossFigure(max_starts=4).player_marks())
    5
    >>> len(CurveFigure("x", (-1.0, 1.0), max_starts=2).player_marks())
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
    CURVE_COLOR,
    FRAME_MARKER_COLOR,
    LOCK_COLOR,
    MAP_SCHEME,
    MINIMUM_COLOR,
    MINIMUM_STROKE,
    start_color,
)
from .player import Arange

_MARGIN = {"top": 20, "bottom": 44, "left": 56, "right": 16}
#: The direction-of-descent arrow, as a fraction of the figure's width.
ARROW_FRACTION = 0.12
#: Drawn paths and curves pass within this fraction of the axis range of every
#: point: under a tenth of a pixel on these figures (about 380 px of plot area per
#: axis). At half a pixel the corners of a tight bend already show; at this
#: tolerance screenshots do not differ, and 1001 steps still draw as a few dozen.
SIMPLIFY = 2e-4
#: While playing, a path is redrawn once the current point is this many tolerances
#: (about 2 px) from the drawn end, which the current-point marker (radius 3.6 px)
#: covers: a slow path is not redrawn on every frame.
LAG = 25.0

Buffers = dict[str, Any]
Tracks = list[dict[str, Any]]


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


def _round(value: float) -> float:
    """Two significant digits: a tolerance is approximate, and short in JSON."""
    return float(f"{value:.2g}")


def tolerance(x_range: float, y_range: float) -> list[float]:
    """The simplification tolerance [x, y] in data units for axes showing these ranges.

    Example:
        >>> tolerance(4.0, 1000.0)
        [0.0008, 0.2]
    """

    def one(extent: float) -> float:
        extent = abs(float(extent))
        return _round(SIMPLIFY * extent) if np.isfinite(extent) and extent > 0 else SIMPLIFY

    return [one(x_range), one(y_range)]


def _prefix(target: int, x: str, y: str, row: int, length: int, tol: list[float],
            whole: bool = False, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return dict(target=target, kind="prefix", x=x, y=y, row=row, length=length,
                whole=whole, tolerance=tol, lag=LAG, **extra)  # fmt: skip


def arrow_tips(px, py, dx, dy, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Tips of arrows from (px, py) along (dx, dy): longer for larger |d|, capped.

    The length is ``ARROW_FRACTION * width * |d| / (|d| + median |d|)``, so arrows
    shrink to nothing as the gradient vanishes and never leave the figure.

    Example:
        >>> tx, ty = arrow_tips(np.zeros((1, 2)), np.zeros((1, 2)), np.ones((1, 2)),
        ...                     np.zeros((1, 2)), 10.0)
        >>> [round(float(v), 2) for v in tx[0]], ty.tolist()
        ([0.6, 0.6], [[0.0, 0.0]])
    """
    norm = np.hypot(dx, dy)
    finite = norm[np.isfinite(norm) & (norm > 0)]
    reference = float(np.median(finite)) if finite.size else 1.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        length = ARROW_FRACTION * width * norm / (norm + reference)
        scale = np.where(norm > 0, length / norm, 0.0)
        return (px + scale * dx).astype(np.float32), (py + scale * dy).astype(np.float32)


class PathFigure:
    """What every figure with starts shares: one path per start, current points, arrows."""

    name = "view"

    def _start_marks(self, scales: dict[str, bqplot.Scale], max_starts: int, low: float):
        self.paths = [
            bqplot.Lines(x=_float_array([low]), y=_float_array([low]), scales=scales,
                         colors=[start_color(j)], stroke_width=2.5, visible=False)
            for j in range(max_starts)
        ]  # fmt: skip
        self.arrows = bqplot.Lines(
            x=_float_array([low]), y=_float_array([low]), scales=scales, colors=["#000000"],
            stroke_width=2.0, visible=False,
        )  # fmt: skip
        self.current = bqplot.Scatter(
            x=_float_array([]), y=_float_array([]), scales=scales, default_size=40,
            colors=[start_color(0)], stroke="#000000", stroke_width=1.0,
        )  # fmt: skip

    def player_marks(self) -> list[bqplot.Mark]:
        """The marks the Player writes, in the order ``frames`` numbers them."""
        return [*self.paths, self.current, self.arrows]

    def _path_tracks(self, lengths: Sequence[int], x: str, y: str, arrows: dict[str, Any],
                     tol: list[float]):  # fmt: skip
        n = len(self.paths)
        tracks = [_prefix(j, x, y, j, lengths[j], tol) for j in range(len(lengths))]
        tracks.append(dict(target=n, kind="points", x=x, y=y, lengths=list(lengths)))
        tracks.append(dict(target=n + 1, kind="arrows", lengths=list(lengths), **arrows))
        return tracks

    def show_paths(self, count: int) -> None:
        for j, path in enumerate(self.paths):
            visible = j < count
            if path.visible != visible:
                path.visible = visible
        if not self.arrows.visible:
            self.arrows.visible = True

    def keep_python_copies(self, xs: np.ndarray, ys: np.ndarray, lengths: Sequence[int]) -> None:
        """Python's copies of the Player-owned marks = the final state the browser shows."""
        for j, length in enumerate(lengths):
            keep = max(length, 1)
            set_quietly(self.paths[j], x=xs[j, :keep], y=ys[j, :keep])
        last = [max(length - 1, 0) for length in lengths]
        rows = np.arange(len(lengths))
        set_quietly(self.current, x=xs[rows, last], y=ys[rows, last])

    def _color_starts(self, count: int) -> list[str]:
        colors = [start_color(j) for j in range(count)] or [start_color(0)]
        self.current.colors = colors
        return colors


class MapFigure(PathFigure):
    """Contour map of two parameters with draggable starts, paths and gradient arrows.

    Example:
        >>> m = MapFigure(("mu", "sigma"), ((-1.0, 1.0), (0.0, 2.0)), max_starts=2)
        >>> [a.label for a in m.figure.axes]
        ['mu', 'sigma']
    """

    name = "map"

    def __init__(
        self, labels: Sequence[str], bounds: Sequence[tuple[float, float]], max_starts: int
    ) -> None:
        (x_low, x_high), (y_low, y_high) = bounds
        self.bounds = tuple(bounds)
        self.x_scale = bqplot.LinearScale(min=x_low, max=x_high, allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=y_low, max=y_high, allow_padding=False)
        self.color_scale = bqplot.ColorScale(scheme=MAP_SCHEME, min=0.0, max=1.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.heatmap = bqplot.HeatMap(
            x=_float_array([x_low, x_high]), y=_float_array([y_low, y_high]),
            color=np.zeros((2, 2), np.float32), scales={**scales, "color": self.color_scale},
        )  # fmt: skip
        self.contours = bqplot.Lines(
            x=_float_array([x_low]), y=_float_array([y_low]), scales=scales,
            colors=[CONTOUR_COLOR], opacities=[CONTOUR_OPACITY], stroke_width=1.0,
        )  # fmt: skip
        self.minima = bqplot.Scatter(
            x=_float_array([]), y=_float_array([]), scales=scales, marker="cross",
            colors=[MINIMUM_COLOR], stroke=MINIMUM_STROKE, stroke_width=1.0, default_size=90,
            tooltip=bqplot.Tooltip(fields=["x", "y"], formats=[".3f", ".3f"]),
        )  # fmt: skip
        self.lock_line = bqplot.Lines(
            x=_float_array([x_low, x_high]), y=_float_array([y_low, y_low]), scales=scales,
            colors=[LOCK_COLOR], line_style="dashed", stroke_width=2.0, visible=False,
        )  # fmt: skip
        self._start_marks(scales, max_starts, x_low)
        self.starts = bqplot.Scatter(
            x=_float_array([]), y=_float_array([]), scales=scales, default_size=110,
            colors=[start_color(0)], stroke="#000000", stroke_width=1.5, marker="circle",
            enable_move=True, update_on_move=False, interactions={"click": "add"},
            drag_size=1.3,
        )  # fmt: skip
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=labels[0], grid_lines="none")
        self.y_axis = bqplot.Axis(scale=self.y_scale, label=labels[1], side="left",
                                  grid_lines="none")  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[self.heatmap, self.contours, self.minima, self.lock_line, *self.paths,
                   self.arrows, self.current, self.starts],
            axes=[self.x_axis, self.y_axis], fig_margin=dict(_MARGIN), padding_x=0.0,
            padding_y=0.0,
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="300px"),
        )  # fmt: skip
        self.figure.add_class("jgw-map")
        self.set_bounds(bounds)

    def set_axes(self, labels: Sequence[str], bounds: Sequence[tuple[float, float]]) -> None:
        """New parameters on the axes (a function of more than two parameters)."""
        self.x_axis.label, self.y_axis.label = labels
        self.set_bounds(bounds)

    def set_bounds(self, bounds: Sequence[tuple[float, float]]) -> None:
        """Move the view; the plot area keeps the data's aspect ratio (equal units)."""
        self.bounds = tuple(bounds)
        (x_low, x_high), (y_low, y_high) = bounds
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = float(x_low), float(x_high)
            self.y_scale.min, self.y_scale.max = float(y_low), float(y_high)
        # bqplot's aspect ratio is width / height of the plot area.
        ratio = float(min(max((x_high - x_low) / (y_high - y_low), 0.25), 4.0))
        with self.figure.hold_sync():
            self.figure.min_aspect_ratio = ratio
            self.figure.max_aspect_ratio = ratio

    def set_landscape(self, xs, ys, shade, contour_x, contour_y) -> None:
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

    def set_lock(self, axis: int | None, value: float) -> None:
        """Draw the line the robot is held on (axis 0: x fixed, 1: y fixed), or hide it."""
        (x_low, x_high), (y_low, y_high) = self.bounds
        with self.lock_line.hold_sync():
            if axis == 0:
                self.lock_line.x = _float_array([value, value])
                self.lock_line.y = _float_array([y_low, y_high])
            elif axis == 1:
                self.lock_line.x = _float_array([x_low, x_high])
                self.lock_line.y = _float_array([value, value])
            self.lock_line.visible = axis is not None

    def set_starts(self, points: np.ndarray) -> None:
        """Place the start markers (from Python) with one colour each."""
        points = np.asarray(points, np.float32).reshape(-1, 2)
        with self.starts.hold_sync(), self.current.hold_sync():
            self.starts.x = points[:, 0]
            self.starts.y = points[:, 1]
            self.starts.colors = self._color_starts(len(points))

    def frames(self, px, py, gx, gy, lengths: Sequence[int]) -> tuple[Buffers, Tracks]:
        """Paths, current points and negative-gradient arrows for the Player."""
        width = self.bounds[0][1] - self.bounds[0][0]
        ax, ay = arrow_tips(px, py, -gx, -gy, width)
        buffers = {"map.px": px, "map.py": py, "map.ax": ax, "map.ay": ay}
        arrows = dict(x0="map.px", y0="map.py", x1="map.ax", y1="map.ay", head=0.3)
        (x_low, x_high), (y_low, y_high) = self.bounds
        tol = tolerance(x_high - x_low, y_high - y_low)
        return buffers, self._path_tracks(lengths, "map.px", "map.py", arrows, tol)


class CurveFigure(PathFigure):
    """A function of one parameter with points rolling down it and their tangents.

    Used for a 1-D objective (its starts draggable along the curve) and for the robot
    on one axis (the slice of the map along the free axis).

    Example:
        >>> c = CurveFigure("x", (-2.0, 2.0), max_starts=1, draggable=True)
        >>> c.set_curve(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5) ** 2)
        >>> (c.y_scale.min < 0 < 4 < c.y_scale.max, c.starts.enable_move)
        (True, True)
    """

    def __init__(
        self,
        label: str,
        bounds: tuple[float, float],
        max_starts: int,
        *,
        draggable: bool = False,
        y_label: str = "f",
        name: str = "curve",
        height: str = "440px",
    ) -> None:
        self.name = name
        low, high = bounds
        self.bounds = (float(low), float(high))
        self.x_scale = bqplot.LinearScale(min=float(low), max=float(high), allow_padding=False)
        self.y_scale = bqplot.LinearScale(allow_padding=False)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.curve = bqplot.Lines(
            x=_float_array([low, high]), y=_float_array([0, 0]), scales=scales,
            colors=[CURVE_COLOR], stroke_width=2.0,
        )  # fmt: skip
        self._start_marks(scales, max_starts, low)
        marks = [self.curve, *self.paths, self.arrows, self.current]
        self.starts = None
        if draggable:
            self.starts = bqplot.Scatter(
                x=_float_array([]), y=_float_array([]), scales=scales, default_size=110,
                colors=[start_color(0)], stroke="#000000", stroke_width=1.5,
                enable_move=True, restrict_x=True, update_on_move=False,
                interactions={"click": "add"}, drag_size=1.3,
            )  # fmt: skip
            marks.append(self.starts)
        self.x_axis = bqplot.Axis(scale=self.x_scale, label=label, grid_lines="solid")
        self.y_axis = bqplot.Axis(scale=self.y_scale, label=y_label, side="left",
                                  grid_lines="solid", tick_format=".3g")  # fmt: skip
        self.figure = bqplot.Figure(
            marks=marks, axes=[self.x_axis, self.y_axis], fig_margin=dict(_MARGIN),
            layout=ipywidgets.Layout(width="100%", height=height, min_width="300px"),
        )  # fmt: skip
        self.figure.add_class(f"jgw-{name}")

    def set_curve(self, xs: np.ndarray, ys: np.ndarray, label: str | None = None) -> None:
        finite = ys[np.isfinite(ys)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = 0.06 * (high - low) if high > low else max(1.0, abs(high)) * 0.5
        with self.curve.hold_sync():
            self.curve.x = _float_array(xs)
            self.curve.y = _float_array(ys)
        with self.y_scale.hold_sync():
            self.y_scale.min, self.y_scale.max = low - pad, high + pad
        if label is not None:
            self.y_axis.label = label

    def set_starts(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Place the start markers on the curve (from Python)."""
        colors = self._color_starts(len(xs))
        if self.starts is None:
            return
        with self.starts.hold_sync():
            self.starts.x = _float_array(xs)
            self.starts.y = _float_array(ys)
            self.starts.colors = colors

    def frames(self, xs, ys, slopes, lengths: Sequence[int]) -> tuple[Buffers, Tracks]:
        """Points rolling along the curve, each with its tangent, for the Player."""
        p = self.name
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
            f"{p}.x": xs, f"{p}.y": ys,
            f"{p}.x0": (xs - h).astype(np.float32), f"{p}.y0": (ys - rise).astype(np.float32),
            f"{p}.x1": (xs + h).astype(np.float32), f"{p}.y1": (ys + rise).astype(np.float32),
        }  # fmt: skip
        arrows = dict(x0=f"{p}.x0", y0=f"{p}.y0", x1=f"{p}.x1", y1=f"{p}.y1", head=0.0)
        tol = tolerance(width, height)
        return buffers, self._path_tracks(lengths, f"{p}.x", f"{p}.y", arrows, tol)


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
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.lines = [
            bqplot.Lines(x=_float_array([0.0]), y=_float_array([0.0]), scales=scales,
                         colors=[start_color(j)], stroke_width=2.0, visible=False)
            for j in range(max_starts)
        ]  # fmt: skip
        self.marker = bqplot.Lines(
            x=_float_array([0.0, 0.0]), y=_float_array([0.0, 1.0]), scales=scales,
            colors=[FRAME_MARKER_COLOR], line_style="dashed", stroke_width=1.5,
        )  # fmt: skip
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="step", grid_lines="solid")
        self.y_axis = bqplot.Axis(scale=self.y_scale, label="loss", side="left",
                                  grid_lines="solid", tick_format=".3g")  # fmt: skip
        self.figure = bqplot.Figure(
            marks=[*self.lines, self.marker], axes=[self.x_axis, self.y_axis],
            fig_margin={"top": 20, "bottom": 44, "left": 64, "right": 16},
            layout=ipywidgets.Layout(width="100%", height="440px", min_width="260px"),
        )  # fmt: skip
        self.figure.add_class("jgw-loss")

    def player_marks(self) -> list[bqplot.Mark]:
        return [*self.lines, self.marker]

    def frames(self, loss: np.ndarray, lengths: Sequence[int], low: float, high: float):
        """Whole loss curves (the marker moves along them) and the frame marker.

        The curves are drawn simplified to what the eye sees on a linear y axis and,
        when the range is positive, on a log one too (the scale may switch later).

        Example:
            >>> f = LossFigure(max_starts=1)
            >>> _, tracks = f.frames(np.ones((1, 101), np.float32), [101], 0.5, 5.0)
            >>> tracks[0]["tolerance"], tracks[0]["log_tolerance"], tracks[1]["kind"]
            ([0.02, 0.0009], 0.0002, 'vline')
        """
        n = len(self.lines)
        buffers = {"loss.y": loss, "loss.steps": Arange(loss.shape[1])}
        tol = tolerance(max(loss.shape[1] - 1, 1), high - low)
        log = {}
        if 0 < low < high and np.isfinite(high):
            log = {"log_tolerance": _round(SIMPLIFY * np.log10(high / low))}
        tracks = [_prefix(j, "loss.steps", "loss.y", j, lengths[j], tol, whole=True, **log)
                  for j in range(len(lengths))]  # fmt: skip
        # The frame marker moves in steps of about a pixel (the plot is ~380 px wide).
        every = max(1, (loss.shape[1] - 1) // 400)
        tracks.append(dict(target=n, kind="vline", low=low, high=high, every=every,
                           length=loss.shape[1]))  # fmt: skip
        return buffers, tracks

    def keep_python_copies(self, loss: np.ndarray, lengths: Sequence[int]) -> None:
        steps = np.arange(loss.shape[1], dtype=np.float32)
        for j, length in enumerate(lengths):
            keep = max(length, 1)
            set_quietly(self.lines[j], x=steps[:keep], y=loss[j, :keep])

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
        changes when the data leave it or use less than half of it, and then takes a
        margin of a tenth of the data's range (on a linear axis), so that the next
        small moves stay inside.

        Example:
            >>> f = LossFigure(max_starts=1)
            >>> f.set_ranges(10, 0.0, 10.0)
            >>> f.settled_range(0.5, 9.0), f.settled_range(0.5, 3.0)
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

    def set_ranges(self, steps: int, low: float, high: float) -> None:
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = 0.0, float(max(steps, 1))
            self.y_scale.min, self.y_scale.max = float(low), float(high)

    def show_lines(self, count: int) -> None:
        for j, line in enumerate(self.lines):
            visible = j < count
            if line.visible != visible:
                line.visible = visible
