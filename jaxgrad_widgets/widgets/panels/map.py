"""The map panel: the contour map of two parameters, its minima, the starts and their paths.

It draws the landscape (shading by rank, contour lines, minima found or known), the
line a locked axis holds the robot on, and every start's path, current point and
negative-gradient arrow (one mark each, every start in its colour), with the Hessian's
axes at the current points when asked for (:mod:`.curvature_axes`). The starts are
draggable and a click adds one; what the browser sends is checked and clamped here
and handed on as plain points.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> m = MapPanel(("x", "y"), ((-2.0, 2.0), (-2.0, 2.0)))
    >>> grid = m.draw_landscape(Objective(goldfield), (0, 1), [0.1, 0.1],
    ...                         minima=[[1.0, 1.0], [-1.0, -1.0]])
    >>> grid.values.shape, len(m.minima.x), len(m.saddles.x), len(m.figure.marks)
    ((120, 120), 2, 1, 10)
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from ...engine import (
    CriticalPoint,
    Grid,
    Objective,
    classify_point,
    contour_paths,
    default_levels,
    find_minima,
    grid_values,
)
from ...engine.curvature import critical_points
from ..looks import figure_frame, tooltip
from ..palette import (
    CONTOUR_COLOR,
    CONTOUR_OPACITY,
    CRITICAL_MARKERS,
    CURVATURE_COLORS,
    LOCK_COLOR,
    MAP_SCHEME,
    MINIMUM_COLOR,
    MINIMUM_STROKE,
)
from .basins import BasinsLayer
from .curvature_axes import CurvatureAxes, typical_curvature
from .map_notes import MapNotes
from .marks import (
    MARGIN,
    DraggableStarts,
    Frames,
    StartMarks,
    arrow_tips,
    axis_pair,
    float_array,
    plot_pixels,
    set_ticks,
    tolerance,
    typical_slope,
)
from .view import RunView

Bounds = tuple[tuple[float, float], tuple[float, float]]
#: Grid points per side of the shading and contours.
RESOLUTION = 120
#: The map's height in pixels.
HEIGHT = 440


def shade(values: np.ndarray) -> np.ndarray:
    """Heights -> [0, 1] by rank, so the colours resolve the valleys, not just the walls.

    Example:
        >>> shade(np.array([0.0, 1.0, 1000.0, np.nan])).round(2).tolist()
        [0.0, 0.5, 1.0, 1.0]
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.ones_like(values, dtype=np.float32)
    knots = np.quantile(finite, np.linspace(0, 1, 65))
    shaded = np.interp(values, knots, np.linspace(0, 1, 65)).astype(np.float32)
    shaded[~np.isfinite(values)] = 1.0
    return shaded


def _full(grid: Grid, xy: np.ndarray) -> np.ndarray:
    """A map point as a full point (the other parameters held at the grid's base)."""
    point = grid.base.astype(np.float32).copy()
    point[list(grid.dims)] = xy
    return point


def _critical_by_kind(objective: Objective, grid: Grid, minima: np.ndarray,
                      search: bool) -> dict[str, list[CriticalPoint]]:  # fmt: skip
    """The minima classified (for their eigenvalues), and the saddles and maxima found
    when ``search``; no more than the minima where JAX cannot take the function's second
    derivatives (a custom gradient without forward mode, say)."""
    try:
        others = critical_points(objective, grid) if search else []
        classified = [classify_point(objective, _full(grid, p), dims=grid.dims) for p in minima]
    except Exception:
        return {"minimum": [], "saddle": [], "maximum": []}
    return {
        "minimum": classified,
        "saddle": [c for c in others if c.kind == "saddle"],
        "maximum": [c for c in others if c.kind == "maximum"],
    }


def _critical_name(kind: str, xy: np.ndarray, critical: CriticalPoint) -> str:
    """A critical point's hover text: its kind, where, and its Hessian's eigenvalues.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> cp = classify_point(Objective(lambda x, y: x**2 - y**2), [0.0, 0.0])
        >>> _critical_name("saddle", np.zeros(2), cp)
        'saddle (0, 0): Hessian eigenvalues -2, 2'
    """
    values = ", ".join(f"{v:.3g}" for v in critical.eigenvalues)
    x, y = (round(float(v), 6) + 0.0 for v in xy)  # float32 noise off a 0 (and no -0)
    return f"{kind} ({x:.3g}, {y:.3g}): Hessian eigenvalues {values}"


#: How to read the curvature axes (see :mod:`.curvature_axes`).
_CURVATURE_LEGEND = (
    '<div class="jgw-curvature-legend">the Hessian\'s axes at each current point: '
    '<span data-curving="up">━ curving up</span> <span data-curving="down" '
    f'style="color: {CURVATURE_COLORS["negative"]}">╍ curving down</span> (the shorter, '
    "the sharper)</div>"
)

#: What the legend calls each marker (the shapes are bqplot's, see CRITICAL_MARKERS).
_SYMBOLS = {"minimum": "✚", "saddle": "◆", "maximum": "▲"}


def _kinds_legend(kinds: Sequence[str]) -> str:
    """The critical points' legend: every kind the map shows, minima first.

    Example:
        >>> "◆ saddle" in _kinds_legend(["saddle"])
        True
    """
    items = " ".join(f'<span class="jgw-kind" data-kind="{k}">{_SYMBOLS[k]} {k}</span>'
                     for k in ("minimum", *kinds))  # fmt: skip
    return (f'<div class="jgw-kinds">critical points: {items} (hover one for its '
            "Hessian's eigenvalues)</div>")  # fmt: skip


class MapPanel:
    """Contour map of two parameters with draggable starts, paths and gradient arrows.

    Example:
        >>> m = MapPanel(("mu", "sigma"), ((-1.0, 1.0), (0.0, 2.0)))
        >>> [a.label for a in m.figure.axes], m.figure.min_aspect_ratio
        (['mu', 'sigma'], 1.0)
    """

    name = "map"
    #: Its frames join the learning-rate family (see the stage).
    family = True

    def __init__(self, labels: Sequence[str], bounds: Bounds) -> None:
        (x_low, x_high), (y_low, y_high) = bounds
        self.bounds: Bounds = tuple(bounds)
        self.x_scale = bqplot.LinearScale(min=x_low, max=x_high, allow_padding=False)
        self.y_scale = bqplot.LinearScale(min=y_low, max=y_high, allow_padding=False)
        self.color_scale = bqplot.ColorScale(scheme=MAP_SCHEME, min=0.0, max=1.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.heatmap = bqplot.HeatMap(
            x=float_array([x_low, x_high]), y=float_array([y_low, y_high]),
            color=np.zeros((2, 2), np.float32), scales={**scales, "color": self.color_scale},
        )  # fmt: skip
        self.contours = bqplot.Lines(
            x=float_array([x_low]), y=float_array([y_low]), scales=scales,
            colors=[CONTOUR_COLOR], opacities=[CONTOUR_OPACITY], stroke_width=1.0,
        )  # fmt: skip
        self._scales = scales
        # Critical points by kind, one mark each (a mark has one marker shape); hovering
        # one names it with its Hessian's eigenvalues. Saddles' and maxima's marks are
        # made when a map first has some.
        self._critical_marks = {"minimum": self._critical_mark("minimum")}
        self.minima = self._critical_marks["minimum"]
        self._lock_line: bqplot.Lines | None = None
        #: The notes under the map: what it holds, its markers, its basins.
        self.notes = MapNotes()
        # The basins of attraction, painted in the browser over the shading, under the
        # contours and paths (their mark made when first shown).
        self.basins = BasinsLayer(
            scales,
            self.bounds,
            say=lambda text: self.notes.set("basins", text),
            place=lambda mark: self._add_mark(mark, below=self.contours),
        )
        self.marks = StartMarks(scales, x_low)
        self.paths, self.current, self.arrows = self.marks.player_marks()
        # The Hessian's axes at each current point (hidden until the dashboard asks).
        self.curvature = CurvatureAxes(scales)
        self._curvature_shown = False
        #: The critical points drawn, by kind (none until a landscape is drawn).
        self.critical: dict[str, list[CriticalPoint]] = {"minimum": [], "saddle": [],
                                                          "maximum": []}  # fmt: skip
        self.draggable = DraggableStarts(scales, lambda: self.bounds)
        self.starts = self.draggable.mark
        self.x_axis, self.y_axis = axis_pair(self.x_scale, self.y_scale, *labels,
                                             grid_lines="none")  # fmt: skip
        # A layout of its own: the dashboard's figure, there for customising.
        self.figure = bqplot.Figure(
            marks=[self.heatmap, self.contours, self.minima, self.paths, self.arrows,
                   *self.curvature.player_marks(), self.current, self.starts],
            axes=[self.x_axis, self.y_axis], fig_margin=dict(MARGIN), padding_x=0.0,
            padding_y=0.0,
            layout=ipywidgets.Layout(width="100%", height=f"{HEIGHT}px", min_width="300px"),
            **figure_frame(),
        )  # fmt: skip
        self.figure.add_class("jgw-map")
        self.slope = 1.0
        self.set_bounds(bounds)

    def player_marks(self) -> list[bqplot.Mark]:
        """The marks the Player writes: paths, current points, arrows, curvature axes."""
        return [*self.marks.player_marks(), *self.curvature.player_marks()]

    def _add_mark(self, mark: bqplot.Mark, below: bqplot.Mark) -> None:
        """A layer made when first needed joins the figure under ``below`` (the page
        receives it only then)."""
        marks = list(self.figure.marks)
        marks.insert(marks.index(below), mark)
        self.figure.marks = marks

    def _critical_mark(self, kind: str) -> bqplot.Scatter:
        return bqplot.Scatter(
            x=float_array([]), y=float_array([]), scales=self._scales,
            marker=CRITICAL_MARKERS[kind], colors=[MINIMUM_COLOR], stroke=MINIMUM_STROKE,
            stroke_width=1.0, default_size=90, names=[], display_names=False,
            tooltip=tooltip(fields=["name"], show_labels=False),
        )  # fmt: skip

    def _marks_of(self, kind: str) -> bqplot.Scatter:
        """The mark of one kind of critical point (made, and placed, on first use)."""
        if kind not in self._critical_marks:
            self._critical_marks[kind] = self._critical_mark(kind)
            self._add_mark(self._critical_marks[kind], below=self.paths)
        return self._critical_marks[kind]

    @property
    def saddles(self) -> bqplot.Scatter:
        """The saddle points' mark."""
        return self._marks_of("saddle")

    @property
    def maxima(self) -> bqplot.Scatter:
        """The maxima's mark."""
        return self._marks_of("maximum")

    @property
    def lock_line(self) -> bqplot.Lines:
        """The dashed line a locked axis holds the robot on (made on first use)."""
        if self._lock_line is None:
            (x_low, x_high), (y_low, _) = self.bounds
            self._lock_line = bqplot.Lines(
                x=float_array([x_low, x_high]), y=float_array([y_low, y_low]),
                scales=self._scales, colors=[LOCK_COLOR], line_style="dashed",
                stroke_width=2.0, visible=False,
            )  # fmt: skip
            self._add_mark(self._lock_line, below=self.paths)
        return self._lock_line

    # ------------------------------------------------------------------ the view
    def set_axes(self, labels: Sequence[str], bounds: Bounds) -> None:
        """New parameters on the axes (a function of more than two parameters)."""
        self.x_axis.label, self.y_axis.label = labels
        self.set_bounds(bounds)

    def set_bounds(self, bounds: Bounds) -> None:
        """Move the view; the plot area keeps the data's aspect ratio (equal units).

        Example:
            >>> m = MapPanel(("x", "y"), ((-1.0, 1.0), (-1.0, 1.0)))
            >>> m.set_bounds(((-4.0, 4.0), (-1.0, 1.0))); m.figure.max_aspect_ratio
            4.0
        """
        self.bounds = tuple(bounds)
        (x_low, x_high), (y_low, y_high) = bounds
        with self.x_scale.hold_sync(), self.y_scale.hold_sync():
            self.x_scale.min, self.x_scale.max = float(x_low), float(x_high)
            self.y_scale.min, self.y_scale.max = float(y_low), float(y_high)
        ratio = float(min(max((x_high - x_low) / (y_high - y_low), 0.25), 4.0))
        # Round-number ticks for the plot area's size (the map keeps equal units).
        height = plot_pixels(HEIGHT)[1]
        self._ticks = ((x_low, x_high, min(height * ratio, 480)), (y_low, y_high, height))
        if not self.x_axis.tick_labels:
            set_ticks(self.x_axis, *self._ticks[0])
        if not self.y_axis.tick_labels:
            set_ticks(self.y_axis, *self._ticks[1])
        # bqplot's aspect ratio is width / height of the plot area; the figure refuses a
        # minimum above its maximum, so the bound that moves away from the other goes first.
        figure = self.figure
        with figure.hold_sync():
            if ratio > figure.max_aspect_ratio:
                figure.max_aspect_ratio = ratio
                figure.min_aspect_ratio = ratio
            else:
                figure.min_aspect_ratio = ratio
                figure.max_aspect_ratio = ratio

    def label_ticks(self, ticks: Sequence[tuple[list[float], dict[str, str]]]) -> None:
        """Shown values on the axes' ticks (a display transform), or round numbers."""
        axes = (self.x_axis, self.y_axis)
        for axis, (positions, labels), span in zip(axes, ticks, self._ticks, strict=True):
            axis.tick_labels = labels or None
            if positions:
                axis.tick_values = np.asarray(positions, np.float64)
            else:
                set_ticks(axis, *span)

    def draw_landscape(
        self,
        objective: Objective,
        dims: tuple[int, int],
        base: Sequence[float],
        *,
        minima: Any = None,
        search: bool = True,
    ) -> Grid:
        """Shade the map, draw the contours and mark the minima; returns the height grid.

        ``minima`` are known minima (full points); without them they are searched for
        when ``search`` (a slow gradient is not searched). Parameters off the map are
        held at ``base``.
        """
        grid = grid_values(objective, self.bounds, RESOLUTION, dims=dims, base=base)
        #: The landscape drawn (its ``base`` holds the parameters off the map).
        self.grid = grid
        # The arrows' scale: how steep the map typically is (an arrow is half its cap
        # there, and vanishes where the gradient does).
        self.slope = typical_slope(grid.xs, grid.ys, grid.values)
        # The curvature axes' scale likewise: how sharply the map typically curves.
        self.curvature.set_scale(self.bounds[0][1] - self.bounds[0][0],
                                 typical_curvature(grid.xs, grid.ys, grid.values))  # fmt: skip
        contour_x, contour_y = contour_paths(grid, default_levels(grid.values))
        with self.heatmap.hold_sync():
            self.heatmap.x = float_array(grid.xs)
            self.heatmap.y = float_array(grid.ys)
            self.heatmap.color = shade(grid.values)
        if contour_x.size == 0:
            contour_x, contour_y = float_array([grid.xs[0]]), float_array([grid.ys[0]])
        with self.contours.hold_sync():
            self.contours.x = contour_x
            self.contours.y = contour_y
        if minima is not None:
            points = np.asarray(minima, np.float32)[:, list(dims)]
        elif search:
            found = find_minima(objective, self.bounds, dims=dims, grid=grid)
            points = np.asarray([m.point[list(dims)] for m in found], np.float32)
        else:
            points = np.empty((0, 2), np.float32)
        self.minimum_points = points.reshape(-1, 2)
        # Saddles and maxima: found where the gradient vanishes (not for a slow gradient).
        self.critical = _critical_by_kind(objective, grid, self.minimum_points,
                                          search or minima is not None)  # fmt: skip
        for kind in CRITICAL_MARKERS:
            found = self.critical[kind]
            xy = (self.minimum_points if kind == "minimum"
                  else np.asarray([c.point[list(dims)] for c in found], np.float32))  # fmt: skip
            xy = xy.reshape(-1, 2)
            if not len(xy) and kind not in self._critical_marks:
                continue
            mark = self._marks_of(kind)
            with mark.hold_sync():
                mark.x = float_array(xy[:, 0])
                mark.y = float_array(xy[:, 1])
                if len(found) < len(xy):  # no Hessian: where they are, without eigenvalues
                    mark.names = [f"{kind} ({p[0]:.3g}, {p[1]:.3g})" for p in xy]
                else:
                    mark.names = [_critical_name(kind, p, c)
                                  for p, c in zip(xy, found, strict=False)]  # fmt: skip
        self._show_legend()
        held = [i for i in range(objective.dim) if i not in dims]
        values = ", ".join(f"{objective.names[i]} = {base[i]:.4g}" for i in held)
        self.notes.set("held", f"map drawn with {html.escape(values)} held at the first start's "
                       "values; descent moves every parameter" if held else "")  # fmt: skip
        return grid

    def show_curvature(self, shown: bool) -> None:
        """Whether runs come with the curvature axes: the legend says how to read them
        (the axes themselves follow the next load)."""
        self._curvature_shown = shown
        self._show_legend()
        if not shown:
            self.curvature.hide()

    def _show_legend(self) -> None:
        """The legend under the map: critical points beyond minima, curvature axes."""
        kinds = [k for k in ("saddle", "maximum") if self.critical[k]]
        parts = [_kinds_legend(kinds)] if kinds else []
        if self._curvature_shown:
            parts.append(_CURVATURE_LEGEND)
        self.notes.set("kinds", "".join(parts))

    def set_lock(self, side: int | None, value: float) -> None:
        """Draw the line the robot is held on (side 0: x fixed, 1: y fixed), or hide it."""
        if side is None and self._lock_line is None:
            return  # never locked: no line to hide
        (x_low, x_high), (y_low, y_high) = self.bounds
        with self.lock_line.hold_sync():
            if side == 0:
                self.lock_line.x = float_array([value, value])
                self.lock_line.y = float_array([y_low, y_high])
            elif side == 1:
                self.lock_line.x = float_array([x_low, x_high])
                self.lock_line.y = float_array([value, value])
            self.lock_line.visible = side is not None

    def set_starts(self, points: np.ndarray) -> None:
        """Place the start markers from Python, one colour each (no echo to the widget)."""
        points = np.asarray(points, np.float32).reshape(-1, 2)
        self.draggable.place(points[:, 0], points[:, 1])
        self.marks.color(len(points))

    # ------------------------------------------------------------------ browser input
    def connect(
        self,
        moved: Callable[[int, tuple[float, float]], None],
        placed: Callable[[list[tuple[float, float]]], None],
    ) -> None:
        """Call ``moved(index, point)`` while a start is dragged and ``placed(points)``
        when the markers change in the browser (a click added one, a drag ended).
        Points are clamped into the map; malformed messages never reach them."""
        self.draggable.connect(moved, placed)

    # ------------------------------------------------------------------ frames
    def frames(self, view: RunView) -> Frames:
        """Paths, current points and negative-gradient arrows for the Player."""
        dx, dy = view.dims
        params = view.run.params
        px, py = params[:, :, dx], params[:, :, dy]
        width = self.bounds[0][1] - self.bounds[0][0]
        ax, ay = arrow_tips(px, py, -view.grad[:, :, dx], -view.grad[:, :, dy], width,
                            self.slope)  # fmt: skip
        arrows = dict(x0="px", y0="py", x1="ax", y1="ay", head=0.3)
        (x_low, x_high), (y_low, y_high) = self.bounds
        tol = tolerance(x_high - x_low, y_high - y_low)
        buffers = {"px": px, "py": py, "ax": ax, "ay": ay}
        tracks = self.marks.tracks("px", "py", arrows, tol)
        if view.curvature is not None:
            axes = self.curvature.frames(view.curvature, "px", "py",
                                         offset=len(self.marks.player_marks()))  # fmt: skip
            buffers.update(axes.buffers)
            tracks += axes.tracks
        return Frames(buffers, tracks, {"lengths": view.lengths})

    def show(self, view: RunView, frames: Frames) -> None:
        """After a load: Python's copies of the paths, points and axes, the marks visible."""
        xs, ys = frames.buffers["px"], frames.buffers["py"]
        self.marks.show(view.starts, xs, ys, view.lengths)
        self.curvature.show(frames if view.curvature is not None else None, xs, ys,
                            view.lengths)  # fmt: skip
