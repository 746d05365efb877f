"""Checks for what the browser sends: drag events and marker positions.

Anything that arrives from a front end is untrusted: a value of the wrong type, NaN,
a huge array. These pure functions turn it into something valid (clamped into the
view) or None, and never raise.

Example:
    >>> from jaxgrad_widgets.widgets.inputs import clamp_point, drag_event
    >>> clamp_point(5.0, "nan", ((-1.0, 1.0), (-1.0, 1.0))) is None
    True
    >>> drag_event({"index": 0, "point": {"x": 9.0, "y": 0.5}}, 2, ((-1.0, 1.0), (-1.0, 1.0)))
    (0, (1.0, 0.5))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The longest marker array the browser may send that is still read (a click adds one).
MAX_MARKER_POINTS = 1024


def clamp_value(value: Any, low: float, high: float) -> float | None:
    """``value`` as a float inside [low, high], or None when it is not a finite number.

    Example:
        >>> clamp_value("2", 0, 1), clamp_value(None, 0, 1), clamp_value(-3, 0, 1)
        (1.0, None, 0.0)
    """
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    return min(max(number, float(low)), float(high))


def clamp_point(
    x: Any, y: Any, bounds: Sequence[tuple[float, float]]
) -> tuple[float, float] | None:
    """A point clamped into ``bounds`` ((xlow, xhigh), (ylow, yhigh)), or None.

    Example:
        >>> clamp_point(3, -3, ((-2, 2), (-2, 2)))
        (2.0, -2.0)
    """
    (x_low, x_high), (y_low, y_high) = bounds
    cx, cy = clamp_value(x, x_low, x_high), clamp_value(y, y_low, y_high)
    if cx is None or cy is None:
        return None
    return cx, cy


def drag_event(
    event: Any, count: int, bounds: Sequence[tuple[float, float]]
) -> tuple[int, tuple[float, float]] | None:
    """(index, clamped point) of a bqplot drag message, or None when it is malformed.

    Example:
        >>> drag_event({"index": 5, "point": {"x": 0, "y": 0}}, 2, ((-1, 1), (-1, 1))) is None
        True
    """
    if not isinstance(event, dict):
        return None
    index, point = event.get("index"), event.get("point")
    if isinstance(index, bool) or not isinstance(index, int) or not isinstance(point, dict):
        return None
    if not 0 <= index < count:
        return None
    clamped = clamp_point(point.get("x"), point.get("y"), bounds)
    return None if clamped is None else (index, clamped)


def marker_points(
    xs: Any, ys: Any, bounds: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The valid points of a marker's x/y arrays, clamped; junk entries dropped.

    Example:
        >>> marker_points([0, float("nan"), 5], [0, 0, 0], ((-1, 1), (-1, 1)))
        [(0.0, 0.0), (1.0, 0.0)]
    """
    try:
        x = np.asarray(xs, dtype=np.float64).reshape(-1)[:MAX_MARKER_POINTS]
        y = np.asarray(ys, dtype=np.float64).reshape(-1)[:MAX_MARKER_POINTS]
    except (TypeError, ValueError):
        return []
    points = []
    for px, py in zip(x, y, strict=False):
        clamped = clamp_point(px, py, bounds)
        if clamped is not None:
            points.append(clamped)
    return points
