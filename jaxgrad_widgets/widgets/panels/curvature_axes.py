"""The curvature at the current point of every path: the local quadratic model's axes.

At each frame, every start's current point carries a cross: the two eigen-directions
of the Hessian in the map's plane (see :mod:`jaxgrad_widgets.engine.path_curvature`).
An axis is drawn as the level curve of the local model ``lambda * t**2 / 2`` would
draw it: its half-length is ``cap / sqrt(1 + |lambda| / reference)``, long along a
flat direction (at most ``cap``), short across a steep valley, with the ratio of the
model's ellipse where curvatures are large; ``reference`` is the map's typical
curvature. Directions that curve up are drawn solid, those that curve down dashed, in
two ``Lines`` marks the Player writes on every frame (track kind ``axes``): playback
costs no kernel message.

Example:
    >>> import bqplot, numpy as np
    >>> from jaxgrad_widgets.engine.path_curvature import PathCurvature
    >>> scales = {"x": bqplot.LinearScale(), "y": bqplot.LinearScale()}
    >>> axes = CurvatureAxes(scales)
    >>> axes.set_scale(width=4.0, reference=2.0)
    >>> at_saddle = PathCurvature(np.zeros((1, 1)), np.full((1, 1), 6.0), np.full((1, 1), -2.0))
    >>> frames = axes.frames(at_saddle, "px", "py")
    >>> [t["sign"] for t in frames.tracks], sorted(frames.buffers)
    ([1, -1], ['c_angle', 'c_first', 'c_second'])
    >>> [round(float(frames.buffers[k][0, 0]), 3) for k in ("c_first", "c_second")]
    [0.18, -0.255]
"""

from __future__ import annotations

from collections.abc import Sequence

import bqplot
import numpy as np

from ...engine.path_curvature import PathCurvature
from ..palette import CURVATURE_COLORS
from ..player import slot
from .marks import Frames, float_array, set_quietly

#: An axis's longest half-length (a flat direction), as a fraction of the map's width.
AXIS_FRACTION = 0.09


def axis_lengths(curvature: np.ndarray, cap: float, reference: float) -> np.ndarray:
    """Signed half-lengths of the axes: ``cap / sqrt(1 + |lambda| / reference)``, negative
    where the curvature is (float32, NaN where it is not finite).

    Example:
        >>> axis_lengths(np.array([0.0, 3.0, -3.0, np.nan]), cap=1.0, reference=1.0).tolist()
        [1.0, 0.5, -0.5, nan]
    """
    curvature = np.asarray(curvature, np.float64)
    reference = reference if np.isfinite(reference) and reference > 0 else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        half = cap / np.sqrt(1.0 + np.abs(curvature) / reference)
        return np.where(curvature < 0, -half, half).astype(np.float32)


def typical_curvature(xs: np.ndarray, ys: np.ndarray, values: np.ndarray) -> float:
    """The median of the Hessian's largest |eigenvalue| over a grid (finite differences).

    Example:
        >>> xs = ys = np.linspace(-1, 1, 21)
        >>> round(typical_curvature(xs, ys, np.add.outer(ys**2, 3 * xs**2)), 3)   # 6 and 2
        6.0
    """
    values = np.asarray(values, np.float64)
    if values.shape[0] < 3 or values.shape[1] < 3:
        return 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        gy, gx = np.gradient(values, ys, xs)
        gyy, gyx = np.gradient(gy, ys, xs)
        gxy, gxx = np.gradient(gx, ys, xs)
        b = (gxy + gyx) / 2
        largest = np.abs((gxx + gyy) / 2) + np.hypot((gxx - gyy) / 2, b)
    inner = largest[1:-1, 1:-1]  # one-sided differences at the border are rougher
    finite = inner[np.isfinite(inner) & (inner > 0)]
    return float(np.median(finite)) if finite.size else 1.0


def axes_segments(x: np.ndarray, y: np.ndarray, angle: np.ndarray, first: np.ndarray,
                  second: np.ndarray, sign: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The segments an ``axes`` track draws for points (x, y): each axis whose signed
    half-length has ``sign`` (0 counts as positive), NaN-separated; what the browser
    draws at one frame, for Python's copy of the marks.

    Example:
        >>> sx, sy = axes_segments(np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1),
        ...                        -np.ones(1), sign=1)
        >>> sx.tolist(), sy.tolist()
        ([-1.0, 1.0], [0.0, 0.0])
    """
    xs: list[float] = []
    ys: list[float] = []
    for cx, cy, theta, h1, h2 in zip(x, y, angle, first, second, strict=True):
        for half, direction in ((h1, theta), (h2, theta + np.pi / 2)):
            if not np.isfinite([cx, cy, theta, half]).all() or (half < 0) != (sign < 0):
                continue
            dx, dy = half * np.cos(direction), half * np.sin(direction)
            if xs:
                xs.append(np.nan)
                ys.append(np.nan)
            xs += [cx - dx, cx + dx]
            ys += [cy - dy, cy + dy]
    return float_array(xs), float_array(ys)


class CurvatureAxes:
    """The Hessian's axes at every start's current point: two ``Lines`` marks.

    ``positive`` draws the directions that curve up (solid), ``negative`` those that
    curve down (dashed). Hidden until a run with curvature is shown.
    """

    def __init__(self, scales: dict[str, bqplot.Scale]) -> None:
        self.positive, self.negative = (
            bqplot.Lines(
                x=float_array([0.0]), y=float_array([0.0]), scales=scales,
                colors=[CURVATURE_COLORS[kind]], stroke_width=2.5, visible=False,
                line_style=style,
            )
            for kind, style in (("positive", "solid"), ("negative", "dashed"))
        )  # fmt: skip
        self.cap = AXIS_FRACTION
        self.reference = 1.0

    def player_marks(self) -> list[bqplot.Mark]:
        """The marks the Player writes, in the order :meth:`frames` numbers them."""
        return [self.positive, self.negative]

    def set_scale(self, width: float, reference: float) -> None:
        """The map's width (data units) and its typical curvature: how long axes are."""
        self.cap = AXIS_FRACTION * float(width)
        self.reference = float(reference)

    def frames(self, curvature: PathCurvature, x: str, y: str, offset: int = 0) -> Frames:
        """Buffers and tracks for axes centred on the points of buffers ``x``, ``y``; the
        marks are targets ``offset`` and ``offset + 1``. The tracks read the panel's slot
        ``lengths`` (each start's valid frames), as its paths do."""
        buffers = {
            "c_angle": np.asarray(curvature.angle, np.float32),
            "c_first": axis_lengths(curvature.first, self.cap, self.reference),
            "c_second": axis_lengths(curvature.second, self.cap, self.reference),
        }
        tracks = [
            dict(target=offset + k, kind="axes", x=x, y=y, angle="c_angle", first="c_first",
                 second="c_second", sign=sign, lengths=slot("lengths"))
            for k, sign in enumerate((1, -1))
        ]  # fmt: skip
        return Frames(buffers, tracks)

    def show(self, frames: Frames | None, xs: np.ndarray, ys: np.ndarray,
             lengths: Sequence[int]) -> None:  # fmt: skip
        """Python's copies = the last frame the browser shows; visible with curvature."""
        if frames is None:
            self.hide()
            return
        last = np.asarray([max(length - 1, 0) for length in lengths])
        rows = np.arange(len(last))
        at = {name: frames.buffers[name][rows, last] for name in ("c_angle", "c_first",
                                                                   "c_second")}  # fmt: skip
        for mark, sign in ((self.positive, 1), (self.negative, -1)):
            sx, sy = axes_segments(xs[rows, last], ys[rows, last], at["c_angle"],
                                   at["c_first"], at["c_second"], sign)  # fmt: skip
            if sx.size == 0:  # bqplot's Python side wants a point; it draws nothing alone
                sx, sy = float_array([np.nan]), float_array([np.nan])
            set_quietly(mark, x=sx, y=sy)
            if not mark.visible:
                mark.visible = True

    def hide(self) -> None:
        for mark in (self.positive, self.negative):
            if mark.visible:
                mark.visible = False
