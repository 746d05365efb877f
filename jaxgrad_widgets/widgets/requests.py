"""What a move in the browser asks of the dashboard's state, as new input values.

The panels hand on checked, clamped values (a dragged start's point, the markers'
points, the lock controls' axis and value); these pure functions turn them into the
inputs to change, or None when nothing changes.

Example:
    >>> import numpy as np
    >>> starts = np.array([[0.1, 0.1], [-0.1, -0.1]], np.float32)
    >>> dragged_starts(starts, 1, (1.5, 0.5), dims=[0, 1]).tolist()
    [[0.10000000149011612, 0.10000000149011612], [1.5, 0.5]]
    >>> dragged_starts(starts, 1, (-0.1, -0.1), dims=[0, 1]) is None   # not moved
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import ObjectiveError
from .inputs import clamp_value

Bounds = Sequence[tuple[float, float]]


#: The longest text read as a number (anything longer is refused unread).
MAX_NUMBER_TEXT = 40


def parse_number(text: Any, label: str) -> float:
    """A number typed into a box, or an ObjectiveError saying it is not one.

    Example:
        >>> parse_number(" 0.3 ", "learning rate"), parse_number("1e-3", "learning rate")
        (0.3, 0.001)
        >>> parse_number("fast", "learning rate")
        Traceback (most recent call last):
        ...
        jaxgrad_widgets.engine.errors.ObjectiveError: learning rate must be a number, not 'fast'
    """
    shown = str(text)[:MAX_NUMBER_TEXT]
    if not isinstance(text, str) or len(text) > MAX_NUMBER_TEXT:
        raise ObjectiveError(f"{label} must be a number, not {shown!r}")
    try:
        return float(text.strip())
    except ValueError:
        raise ObjectiveError(f"{label} must be a number, not {shown!r}") from None


def dragged_starts(
    starts: np.ndarray, index: int, point: Sequence[float], dims: Sequence[int]
) -> np.ndarray | None:
    """The starts with start ``index`` moved to ``point`` on the map's ``dims``.

    None when the index is past the starts or the start is already there.
    """
    if not 0 <= index < len(starts):
        return None
    moved = np.array(starts, np.float32, copy=True)
    moved[index, list(dims)] = point[: len(dims)]
    return None if np.array_equal(moved, starts) else moved


def placed_starts(
    starts: np.ndarray, points: Sequence[Sequence[float]], dims: Sequence[int], max_starts: int
) -> tuple[np.ndarray | None, str]:
    """The starts the markers' ``points`` stand for, and why some were refused.

    The first starts keep their other parameters; a new one copies the first start's.
    Beyond ``max_starts`` points are dropped, with a message saying so.

    Example:
        >>> s = np.zeros((1, 3), np.float32)
        >>> new, refused = placed_starts(s, [(0.0, 0.0), (1.0, 2.0)], [0, 2], max_starts=1)
        >>> new, refused
        (None, 'at most 1 start; remove one to add another')
    """
    refused = ""
    if len(points) > max_starts:
        points = points[:max_starts]
        plural = "s" if max_starts != 1 else ""
        refused = f"at most {max_starts} start{plural}; remove one to add another"
    if not points:
        return None, refused
    placed = np.repeat(starts[:1], len(points), axis=0)
    keep = min(len(points), len(starts))
    placed[:keep] = starts[:keep]
    placed[:, list(dims)] = np.asarray(points, np.float32)[:, : len(dims)]
    same = placed.shape == starts.shape and np.array_equal(placed, starts)
    return (None if same else placed), refused


def lock_from_controls(
    names: Sequence[str],
    dims: Sequence[int],
    bounds: Bounds,
    starts: np.ndarray,
    locked: tuple[int, float] | None,
    axis: int | None,
    value: Any,
) -> dict[str, float] | None:
    """The lock the lock controls ask for: none, an axis locked where the first start
    is, or a new value (clamped into the map, widened to a lock set outside it from
    Python); None when the value is not a number.

    Example:
        >>> starts = np.array([[0.3, 5.0]], np.float32)
        >>> lock_from_controls("xy", (0, 1), ((-2, 2), (-2, 2)), starts, None, 1, 0.0)
        {'y': 2.0}
        >>> lock_from_controls("xy", (0, 1), ((-2, 2), (-2, 2)), starts, (1, 2.0), 1, 9e9)
        {'y': 2.0}
    """
    if axis is None:
        return {}
    low, high = bounds[0 if axis == dims[0] else 1]
    if locked is None or locked[0] != axis:
        return {names[axis]: float(np.clip(starts[0, axis], low, high))}  # where the start is
    # The map's range, widened to a lock set outside it from Python (never the
    # slider's own min and max, which the browser could change).
    current = locked[1]
    clamped = clamp_value(value, min(low, current), max(high, current))
    return None if clamped is None else {names[axis]: clamped}
