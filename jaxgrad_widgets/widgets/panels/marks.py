"""What the panels' marks share: Python's quiet copies, drawing tolerances, arrows.

The Player writes the marks that move (paths, current points, arrows, loss curves)
in the browser; Python keeps its copy of them equal to the final state with
:func:`set_quietly`, padded to rectangles where bqplot's Python side needs them
(:func:`padded_rows`). One ``Lines`` mark carries every start, each in its colour.

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.widgets.panels.marks import padded_rows, tolerance
    >>> padded_rows(np.arange(6.0).reshape(2, 3), [3, 1]).tolist()
    [[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]]
    >>> tolerance(4.0, 1000.0)
    [0.0008, 0.2]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import bqplot
import ipywidgets
import numpy as np

from ..display import nice_ticks
from ..inputs import drag_event, marker_points
from ..palette import ARROW_COLOR, start_color
from ..player import slot

#: Drawn paths and curves pass within this fraction of the axis range of every
#: point: under a tenth of a pixel on these figures (about 380 px of plot area per
#: axis). At half a pixel the corners of a tight bend already show; at this
#: tolerance screenshots do not differ, and 1001 steps still draw as a few dozen.
SIMPLIFY = 2e-4
#: While playing, a path is redrawn once the current point is this many tolerances
#: (about 2 px) from the drawn end, which the current-point marker (radius 3.6 px)
#: covers: a slow path is not redrawn on every frame.
LAG = 25.0
#: The direction-of-descent arrow, as a fraction of the figure's width.
ARROW_FRACTION = 0.12
#: Plot margins (pixels) of the panels' figures: room for tick labels and axis names.
MARGIN = {"top": 20, "bottom": 46, "left": 72, "right": 16}
#: Pixels per tick label along an axis: labels never run into each other.
TICK_SPACING = {"x": 70, "y": 44}


def axis_pair(
    x_scale: bqplot.Scale,
    y_scale: bqplot.Scale,
    x_label: str,
    y_label: str,
    *,
    grid_lines: str = "solid",
) -> tuple[bqplot.Axis, bqplot.Axis]:
    """An x and a y axis whose numbers read alike and whose names clear their ticks.

    Numbers are written the short way (0.08, 0.1, 0, 1e-05); where the ticks go is set
    with :func:`set_ticks` as the range changes.

    Example:
        >>> x, y = axis_pair(bqplot.LinearScale(), bqplot.LinearScale(), "x", "f")
        >>> y.tick_format, y.side
        ('~g', 'left')
    """
    x_axis = bqplot.Axis(scale=x_scale, label=x_label, grid_lines=grid_lines,
                         tick_format="~g", label_offset="34px")  # fmt: skip
    y_axis = bqplot.Axis(scale=y_scale, label=y_label, side="left", grid_lines=grid_lines,
                         tick_format="~g", label_offset="56px")  # fmt: skip
    return x_axis, y_axis


def set_ticks(axis: bqplot.Axis, low: float, high: float, pixels: float) -> None:
    """Round-number ticks over [low, high], as many as fit ``pixels`` of axis.

    Example:
        >>> axis = bqplot.Axis(scale=bqplot.LinearScale())
        >>> set_ticks(axis, -2.0, 2.0, pixels=330)   # a map's x axis
        >>> axis.tick_values.tolist()
        [-2.0, -1.0, 0.0, 1.0, 2.0]
    """
    spacing = TICK_SPACING["x" if axis.side in (None, "bottom", "top") else "y"]
    fit = max(2, int(pixels // spacing) + 1)
    ticks: Any = []
    if np.isfinite([low, high]).all():
        # Round steps can leave one tick in a short axis: ask for more until two show,
        # as long as they still fit.
        for count in range(fit, 2 * fit + 1):
            ticks = nice_ticks(float(low), float(high), count)
            if len(ticks) >= 2:
                break
    values = np.asarray(ticks, np.float64) if 2 <= len(ticks) <= fit + 1 else None
    current = axis.tick_values
    if values is None and current is None:
        return
    if values is not None and current is not None and np.array_equal(values, current):
        return  # unchanged: no message (a slider move keeps the same ticks)
    axis.tick_values = values


def plot_pixels(height: int, width: int = 380) -> tuple[int, int]:
    """The plot area's (width, height) in pixels for a figure of that size."""
    return (width - MARGIN["left"] - MARGIN["right"], height - MARGIN["top"] - MARGIN["bottom"])


@dataclass
class Frames:
    """What a panel hands the Player for one run: buffers, tracks and the run's values.

    Names (buffers, slots) and targets are the panel's own; the stage namespaces them.

    Example:
        >>> Frames({"x": np.zeros(3)}, [{"target": 0, "kind": "points"}]).values
        {}
    """

    buffers: dict[str, Any]
    tracks: list[dict[str, Any]]
    values: dict[str, Any] = field(default_factory=dict)
    #: What the panel worked out for these frames and ``show`` uses again (not sent).
    drawn: Any = None


def set_quietly(widget: ipywidgets.Widget, **values: Any) -> None:
    """Set traits in Python without sending them to the browser.

    For marks the Player writes in the browser: the browser already shows these
    values, and sending them again would double every update's payload. Goes under
    traitlets' notification (the values are already validated arrays).

    Example:
        >>> line = bqplot.Lines(x=[0.0], y=[0.0], scales={"x": bqplot.LinearScale(),
        ...                                             "y": bqplot.LinearScale()})
        >>> set_quietly(line, x=np.arange(3.0))
        >>> line.x.tolist()
        [0.0, 1.0, 2.0]
    """
    for name, value in values.items():
        widget._trait_values[name] = value


def float_array(values: Any) -> np.ndarray:
    """``values`` as float32, the marks' wire type.

    Example:
        >>> float_array([1, 2]).dtype
        dtype('float32')
    """
    return np.asarray(values, dtype=np.float32)


def padded_rows(rows: np.ndarray, lengths: Sequence[int]) -> np.ndarray:
    """Each row's first ``length`` values, the rest filled with its last one.

    A bqplot ``Lines`` mark's Python side takes rectangles; repeating a line's last
    point draws nothing more (a NaN there would make bqplot log errors).
    """
    out = np.array(rows, dtype=np.float32, copy=True)
    for j, length in enumerate(lengths):
        keep = max(int(length), 1)
        out[j, keep:] = out[j, keep - 1]
    return out


def _round(value: float) -> float:
    """Two significant digits: a tolerance is approximate, and short in JSON."""
    return float(f"{value:.2g}")


def tolerance(x_range: float, y_range: float) -> list[float]:
    """The simplification tolerance [x, y] in data units for axes showing these ranges.

    Example:
        >>> tolerance(2.0, 0.0)
        [0.0004, 0.0002]
    """

    def one(extent: float) -> float:
        extent = abs(float(extent))
        return _round(SIMPLIFY * extent) if np.isfinite(extent) and extent > 0 else SIMPLIFY

    return [one(x_range), one(y_range)]


def arrow_tips(px, py, dx, dy, width: float, reference: float) -> tuple[np.ndarray, np.ndarray]:
    """Tips of arrows from (px, py) along (dx, dy): as long as the slope is steep, capped.

    The length is ``ARROW_FRACTION * width * |d| / (|d| + reference)``: half the cap
    where the slope is as steep as ``reference`` (a typical slope of the map), nearly
    the cap on a steep wall, and nothing where the gradient vanishes (a minimum).

    Example:
        >>> tx, ty = arrow_tips(np.zeros((1, 3)), np.zeros((1, 3)), np.array([[1.0, 1e-5, 0]]),
        ...                     np.zeros((1, 3)), width=10.0, reference=1.0)
        >>> [round(float(v), 4) for v in tx[0]], ty.tolist()
        ([0.6, 0.0, 0.0], [[0.0, 0.0, 0.0]])
    """
    norm = np.hypot(dx, dy)
    reference = reference if np.isfinite(reference) and reference > 0 else 1.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        length = ARROW_FRACTION * width * norm / (norm + reference)
        scale = np.where(norm > 0, length / norm, 0.0)
        return (px + scale * dx).astype(np.float32), (py + scale * dy).astype(np.float32)


def typical_slope(xs: np.ndarray, ys: np.ndarray, values: np.ndarray) -> float:
    """The median steepness |grad f| over a grid of heights (finite differences).

    Example:
        >>> xs = ys = np.linspace(-1, 1, 5)
        >>> typical_slope(xs, ys, np.add.outer(0 * ys, 2 * xs))   # f = 2x: slope 2
        2.0
    """
    with np.errstate(invalid="ignore"):
        gy, gx = np.gradient(np.asarray(values, np.float64), ys, xs)
        slope = np.hypot(gx, gy)
    finite = slope[np.isfinite(slope) & (slope > 0)]
    return float(np.median(finite)) if finite.size else 1.0


def start_colors(count: int) -> list[str]:
    """One colour per start (at least one, for an empty mark).

    Example:
        >>> start_colors(0) == start_colors(1)
        True
    """
    return [start_color(j) for j in range(max(count, 1))]


def color_starts(count: int, *marks: bqplot.Mark) -> None:
    """One colour per start on every mark of ``marks``; a message only where they change.

    Example:
        >>> line = bqplot.Lines(x=[0.0], y=[0.0], scales={"x": bqplot.LinearScale(),
        ...                                             "y": bqplot.LinearScale()})
        >>> color_starts(2, line); line.colors == start_colors(2)
        True
    """
    colors = start_colors(count)
    for mark in marks:
        if list(mark.colors) != colors:
            mark.colors = colors


class StartMarks:
    """Paths, current points and arrows of every start: three marks, whatever the count.

    ``paths`` is one ``Lines`` mark with a line per start; ``current`` a ``Scatter``
    with a point per start; ``arrows`` one ``Lines`` of NaN-separated segments.

    Example:
        >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
        >>> marks = StartMarks(scales, 0.0)
        >>> [type(m).__name__ for m in marks.player_marks()]
        ['Lines', 'Scatter', 'Lines']
    """

    def __init__(self, scales: dict[str, bqplot.Scale], low: float) -> None:
        self.paths = bqplot.Lines(
            x=float_array([low]), y=float_array([low]), scales=scales,
            colors=start_colors(1), stroke_width=2.5, visible=False,
        )  # fmt: skip
        self.arrows = bqplot.Lines(
            x=float_array([low]), y=float_array([low]), scales=scales, colors=[ARROW_COLOR],
            stroke_width=2.0, visible=False,
        )  # fmt: skip
        self.current = bqplot.Scatter(
            x=float_array([]), y=float_array([]), scales=scales, default_size=40,
            colors=start_colors(1), stroke="#000000", stroke_width=1.0,
        )  # fmt: skip

    def player_marks(self) -> list[bqplot.Mark]:
        """The marks the Player writes, in the order :meth:`tracks` numbers them."""
        return [self.paths, self.current, self.arrows]

    def tracks(self, x: str, y: str, arrows: dict[str, Any], tol: list[float]):
        """Paths growing with the frame, current points and arrows, for every start."""
        lengths = slot("lengths")
        return [
            dict(target=0, kind="lines", x=x, y=y, lengths=lengths, tolerance=tol, lag=LAG),
            dict(target=1, kind="points", x=x, y=y, lengths=lengths),
            dict(target=2, kind="arrows", lengths=lengths, **arrows),
        ]

    def color(self, count: int) -> None:
        """One colour per start on the paths and current points (a message only on change)."""
        color_starts(count, self.paths, self.current)

    def show(self, count: int, xs: np.ndarray, ys: np.ndarray, lengths: Sequence[int]) -> None:
        """Python's copies = the final state the browser shows; the marks visible."""
        self.color(count)
        set_quietly(self.paths, x=padded_rows(xs, lengths), y=padded_rows(ys, lengths))
        last = [max(length - 1, 0) for length in lengths]
        rows = np.arange(len(lengths))
        set_quietly(self.current, x=xs[rows, last], y=ys[rows, last])
        for mark in (self.paths, self.arrows):
            if not mark.visible:
                mark.visible = True


class DraggableStarts:
    """The start markers a user drags, or adds with a click: one ``Scatter``.

    What the browser sends is checked and clamped into ``bounds()`` (the view, which
    may change) before it reaches the dashboard; markers placed from Python do not call
    back.

    Example:
        >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
        >>> starts = DraggableStarts(scales, lambda: ((-1.0, 1.0), (-1.0, 1.0)))
        >>> placed = []
        >>> starts.connect(lambda i, p: None, placed.append)
        >>> starts.place([0.5], [0.5]); placed
        []
        >>> starts.mark.x = np.float32([3.0]); placed
        [[(1.0, 0.5)]]
    """

    def __init__(self, scales: dict[str, bqplot.Scale], bounds: Any, *,
                 restrict_x: bool = False) -> None:  # fmt: skip
        self.bounds = bounds
        self.mark = bqplot.Scatter(
            x=float_array([]), y=float_array([]), scales=scales, default_size=110,
            colors=start_colors(1), stroke="#000000", stroke_width=1.5, marker="circle",
            enable_move=True, restrict_x=restrict_x, update_on_move=False,
            interactions={"click": "add"}, drag_size=1.3,
        )  # fmt: skip
        self._placing = False

    def place(self, xs: Any, ys: Any) -> None:
        """Put the markers there from Python, one colour each (no call back)."""
        self._placing = True
        try:
            with self.mark.hold_sync():
                self.mark.x = float_array(xs)
                self.mark.y = float_array(ys)
                self.mark.colors = start_colors(len(self.mark.x))
        finally:
            self._placing = False

    def connect(self, moved: Any, placed: Any) -> None:
        """Call ``moved(index, point)`` while a start is dragged and ``placed(points)``
        when the markers change in the browser (a click added one, a drag ended)."""

        def on_drag(_mark: Any, event: Any) -> None:
            parsed = drag_event(event, len(self.mark.x), self.bounds())
            if parsed is not None:
                moved(*parsed)

        def on_markers(_change: dict[str, Any]) -> None:
            if not self._placing:
                placed(marker_points(self.mark.x, self.mark.y, self.bounds()))

        self.mark.on_drag(on_drag)
        self.mark.on_drag_end(on_drag)
        self.mark.observe(on_markers, names=["x", "y"])
