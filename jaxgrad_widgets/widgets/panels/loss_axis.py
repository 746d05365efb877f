"""What the loss plot's y axis shows: the values drawn, their range, its name and ticks.

On a linear axis the range covers every start from where it began, never below 0 for
a loss that is never negative, and not stretched by one start far above the others
(its curve then enters from the top, and is named as clipped). On a log axis the
values drawn are ``log10(loss)`` when every loss is positive, else
``log10(loss - floor)`` with a floor just below the lowest loss, stated in the axis's
name: a log axis cannot show 0 or less, and the lowest point must not vanish into it.
The log values go on a linear scale with ticks labelled in the loss's own numbers, so
switching between the views never swaps a bqplot scale.

Example:
    >>> import numpy as np
    >>> loss = np.array([[10.0, 1.0, 0.1, 0.01]])
    >>> axis = loss_axis(loss, [4], log=True)
    >>> axis.label, axis.values[0].tolist(), axis.ticks[1]["-1"]
    ('loss (log scale)', [1.0, 0.0, -1.0, -2.0], '0.1')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..display import js_key, nice_ticks

#: A start far above the others is clipped when its starting height above the lowest
#: loss is this many times the next start's; the axis then reaches CLIPPED_TOP times
#: the next start's height.
DOMINANT = 10.0
CLIPPED_TOP = 3.0
#: A diverging start's loss explodes: the axis reaches at most this many times the
#: highest starting height.
DIVERGED_TOP = 10.0
#: Room above and below the data, as a fraction of the range.
PAD = 0.04
#: The narrowest log range shown, in decades.
MIN_DECADES = 0.3


@dataclass(frozen=True)
class LossAxis:
    """The loss as drawn on the y axis, with its range, name and ticks.

    Attributes:
        values: ``(starts, frames)`` what is drawn: the loss, or its log.
        low, high: the range the data ask for (in drawn units).
        label: the axis's name (a log axis says so, and names its floor).
        ticks: (positions, labels) for a log axis (labels in the loss's numbers); None
            for bqplot's own ticks on a linear one.
        log: whether the values are logarithms.
        clipped: the starts whose curves begin above the top.
        nonnegative: no loss drawn is below 0 (a linear range then stops at 0).
    """

    values: np.ndarray
    low: float
    high: float
    label: str
    ticks: tuple[list[float], dict[str, str]] | None = None
    log: bool = False
    clipped: list[int] = field(default_factory=list)
    nonnegative: bool = False


def _valid(loss: np.ndarray, lengths: Sequence[int]) -> list[np.ndarray]:
    """Each start's finite losses up to its valid length."""
    rows = []
    for j, length in enumerate(lengths):
        row = loss[j, : max(int(length), 0)]
        rows.append(row[np.isfinite(row)])
    return rows


def _starting_heights(rows: list[np.ndarray], lowest: float) -> np.ndarray:
    return np.array([row[0] - lowest if row.size else 0.0 for row in rows])


def loss_axis(loss: np.ndarray, lengths: Sequence[int], *, log: bool,
              label: str = "loss") -> LossAxis:  # fmt: skip
    """The y axis of a loss plot for a run's ``(starts, frames)`` losses.

    Example:
        >>> import numpy as np
        >>> axis = loss_axis(np.array([[4.0, 1.0, 0.0]]), [3], log=False)
        >>> axis.low, round(axis.high, 2), axis.nonnegative
        (0.0, 4.16, True)
    """
    rows = _valid(loss, lengths)
    finite = np.concatenate(rows) if rows else np.empty(0)
    if finite.size == 0:
        return LossAxis(loss, 0.0, 1.0, label)
    return (_log_axis if log else _linear_axis)(loss, rows, finite, label)


def _linear_axis(loss, rows, finite, label) -> LossAxis:
    lowest, highest = float(finite.min()), float(finite.max())
    heights = _starting_heights(rows, lowest)
    order = np.argsort(heights)[::-1]
    top = float(heights[order[0]]) if heights.size else 0.0
    if top <= 0.0:
        # Every start is the lowest point: the loss only rose (Newton's method walking
        # up to a saddle, say). The range is how far it rose, as long as that is not an
        # explosion (a run diverging from its first step).
        top = min(highest - lowest, DIVERGED_TOP * max(abs(lowest), 1.0))
    clipped: list[int] = []
    if heights.size >= 2 and top > DOMINANT * max(float(heights[order[1]]), 0.0) > 0:
        # One start far above the others would flatten them: it enters from the top.
        top = CLIPPED_TOP * float(heights[order[1]])
        clipped = [int(j) for j in order if heights[j] > top]
    high = min(highest, lowest + DIVERGED_TOP * max(top, 1e-6))
    if clipped:
        high = lowest + top
    if high <= lowest:
        high = lowest + max(1e-6, abs(lowest) * 1e-3)
    pad = PAD * (high - lowest)
    nonnegative = lowest >= 0
    low = max(lowest - pad, 0.0) if nonnegative else lowest - pad
    return LossAxis(loss, low, high + pad, label, clipped=clipped, nonnegative=nonnegative)


def _log_axis(loss, rows, finite, label) -> LossAxis:
    lowest = float(finite.min())
    firsts = np.array([row[0] for row in rows if row.size])
    if firsts.size and float(firsts.max()) <= lowest:
        # Every start is the lowest point (the loss only rose): measure from the highest,
        # as long as that is not an explosion (a run diverging from its first step).
        rise = min(float(finite.max()) - lowest, DIVERGED_TOP * max(abs(lowest), 1.0))
        firsts = np.array([lowest + rise])
    highest_start = float(firsts.max()) if firsts.size else lowest
    floor, name = log_floor(lowest, highest_start, label)
    with np.errstate(divide="ignore", invalid="ignore"):
        shifted = loss.astype(np.float64) - floor
        values = np.where(shifted > 0, np.log10(np.where(shifted > 0, shifted, 1.0)), -np.inf)
        values = np.where(np.isnan(loss), np.nan, values)
        drawn = np.log10(np.concatenate(rows) - floor)
    drawn = drawn[np.isfinite(drawn)]
    low, high = float(drawn.min()), float(drawn.max())
    if firsts.size:
        high = min(high, float(np.log10(float(firsts.max()) - floor)) + math.log10(DIVERGED_TOP))
    if high - low < MIN_DECADES:
        middle = (high + low) / 2
        low, high = middle - MIN_DECADES / 2, middle + MIN_DECADES / 2
    pad = PAD * (high - low)
    low, high = low - pad, high + pad
    return LossAxis(values.astype(np.float32), low, high, name, log_ticks(low, high), log=True)


def log_floor(lowest: float, highest_start: float, label: str) -> tuple[float, str]:
    """What a log axis subtracts before taking logs, and its name: 0 when the lowest
    value is positive; else a floor just below the lowest, so that the lowest point sits
    three decades below the highest start's height above it instead of at minus infinity.

    Example:
        >>> log_floor(0.5, 4.0, "loss")
        (0.0, 'loss (log scale)')
        >>> log_floor(-1.0, 9.0, "loss")
        (-1.01, 'loss + 1.01 (log scale)')
    """
    if lowest > 0:
        return 0.0, f"{label} (log scale)"
    span = highest_start - lowest
    floor = lowest - max(1e-3 * span, 1e-9 * max(1.0, abs(lowest)))
    sign = "+" if floor < 0 else "−"
    return floor, f"{label} {sign} {abs(floor):.3g} (log scale)"


def log_ticks(low: float, high: float, count: int = 6) -> tuple[list[float], dict[str, str]]:
    """Ticks of a log axis drawn on a linear scale of decades: positions and labels.

    Whole decades when the range spans two or more, else 1, 2 and 5 times them, else
    round numbers; labels are the numbers themselves, keyed as bqplot looks them up.

    Example:
        >>> positions, labels = log_ticks(-3.2, 0.5)
        >>> positions, [labels[js_key(p)] for p in positions]
        ([-3.0, -2.0, -1.0, 0.0], ['0.001', '0.01', '0.1', '1'])
    """
    first, last = math.ceil(low), math.floor(high)
    decades = list(range(first, last + 1))
    step = max(1, math.ceil(len(decades) / count))
    numbers = [10.0**k for k in decades[::step]]
    if len(decades) < 2:
        numbers = [m * 10.0**k for k in range(math.floor(low), math.ceil(high) + 1)
                   for m in (1, 2, 5) if low <= math.log10(m * 10.0**k) <= high]  # fmt: skip
    if len(numbers) < 2:
        numbers = [float(v) for v in nice_ticks(10**low, 10**high, count) if v > 0]
    positions = [float(math.log10(v)) for v in numbers]
    return positions, {js_key(p): f"{v:.6g}" for p, v in zip(positions, numbers, strict=True)}
