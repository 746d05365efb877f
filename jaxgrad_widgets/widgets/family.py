"""The learning-rate family: runs along the slider's positions, per combination of inputs.

A learning-rate key press moves the slider one position. The browser can answer it
with no kernel round trip if it already holds the run at that position, so after each
change the dashboard computes the runs at the positions around the current one (one
engine call for all of them) within a byte budget, and hands them to the Player. When
Python then hears of the new value, the run is already here: it is *adopted*, not
recomputed. The family also holds the *sweep*: where every position's run ends, from
one finals-only call over the whole grid (the sweep panel, ``w.learning_rate_sweep()``).
Both are the same family of runs, along the same grid, kept per combination of the
other inputs (the state's key) and dropped together when any of them changes; a move
of the learning rate keeps both.

Example:
    >>> grid = RateGrid(-5.0, 1.0, 0.01)
    >>> grid.size, grid.index(grid.value(300)), grid.index(0.0123)
    (601, 300, None)
    >>> LearningRateFamily(grid, budget=10_000).window(300, member_bytes=1_000)
    [295, 296, 297, 298, 299, 300, 301, 302, 303, 304]
    >>> LearningRateFamily(grid).window(300, member_bytes=1_000, member_seconds=0.05)
    []
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine import Trajectories
from ..engine.sweep import Sweep
from ..serve import FAMILY_BYTES_VARIABLE

#: The largest family handed to the browser, in bytes of float32 data: a window of 41
#: positions of 16 paths x 1001 steps would be over 5 MB, and Voila sends all widget
#: state in one message. A server may set less for its kernels (see family_budget).
FAMILY_BYTES = 3_000_000
#: The most positions a family covers (the current one and 20 on each side).
FAMILY_POSITIONS = 41
#: The longest a family may take to compute (seconds): it runs between the kernel's
#: messages, and a slider moved meanwhile waits for it.
FAMILY_SECONDS = 0.1
#: The fewest members worth holding: the current position and one on each side.
FEWEST_MEMBERS = 3
#: Two values are the same slider position when they agree to this relative precision
#: (the browser computes 10 ** exponent its own way: the last bits may differ).
SAME_VALUE = 1e-9


def family_budget(environ: Mapping[str, str] = os.environ) -> int:
    """The family's byte budget: FAMILY_BYTES, or the bytes a server gave its kernels in
    ``JAXGRAD_WIDGETS_FAMILY_BYTES`` (``jaxgrad-widgets serve`` gives less: a page
    reaches every student of a class through one server, whole).

    Example:
        >>> family_budget({}), family_budget({"JAXGRAD_WIDGETS_FAMILY_BYTES": "300000"})
        (3000000, 300000)
        >>> family_budget({"JAXGRAD_WIDGETS_FAMILY_BYTES": "lots"})
        3000000
    """
    text = environ.get(FAMILY_BYTES_VARIABLE, "")
    try:
        budget = int(text)
    except ValueError:
        return FAMILY_BYTES  # not a number of bytes: the default, not an error in a kernel
    return max(budget, 0)


def same_value(a: float, b: float) -> bool:
    """Whether two values are the same slider position (equal to 1e-9, relatively).

    Example:
        >>> same_value(0.1, 0.1 * (1 + 1e-12)), same_value(0.1, 0.1001)
        (True, False)
    """
    return abs(a - b) <= SAME_VALUE * max(abs(a), abs(b))


class RateGrid:
    """A log slider's positions: ``10 ** (low + i * step)`` for ``i`` in ``range(size)``.

    Example:
        >>> import ipywidgets
        >>> RateGrid.of_slider(ipywidgets.FloatLogSlider(min=-2, max=0, step=0.5)).values()
        [0.01, 0.0316..., 0.1, 0.316..., 1.0]
    """

    def __init__(self, low: float, high: float, step: float) -> None:
        self.low, self.high, self.step = float(low), float(high), float(step)
        self.size = round((self.high - self.low) / self.step) + 1

    @classmethod
    def of_slider(cls, slider: Any) -> RateGrid:
        """The grid of an ``ipywidgets.FloatLogSlider`` (base 10)."""
        return cls(slider.min, slider.max, slider.step)

    def value(self, index: int) -> float:
        """The value at position ``index`` (the exponent as the browser computes it)."""
        return 10.0 ** (self.low + index * self.step)

    def values(self) -> list[float]:
        return [self.value(i) for i in range(self.size)]

    def nearest(self, value: float) -> int:
        """The position nearest to ``value`` (on a log scale), within the grid."""
        if not value > 0:
            return 0
        index = round((math.log10(value) - self.low) / self.step)
        return int(min(max(index, 0), self.size - 1))

    def snapped(self, value: float) -> float:
        """The value a slider on this grid shows for ``value``: its nearest position's.

        Example:
            >>> round(RateGrid(-5.0, 1.0, 0.01).snapped(0.05), 6)
            0.050119
        """
        return self.value(self.nearest(value))

    def index(self, value: float) -> int | None:
        """The position whose value ``value`` is, or None when it is between positions."""
        index = self.nearest(value)
        return index if same_value(self.value(index), value) else None


class LearningRateFamily:
    """The runs at the positions around the current learning rate, for one key.

    Args:
        grid: the slider's positions.
        budget: the most float32 bytes of all members together (by default
            :func:`family_budget`).
        positions: the most members.

    Example:
        >>> f = LearningRateFamily(RateGrid(-5.0, 1.0, 0.01))
        >>> f.lookup(0, 0.01) is None
        True
    """

    def __init__(
        self, grid: RateGrid, budget: int | None = None, positions: int = FAMILY_POSITIONS
    ) -> None:
        self.grid = grid
        self.budget = family_budget() if budget is None else budget
        self.positions = positions
        self._key: Any = None
        self._runs: dict[int, Trajectories] = {}
        self._sweep: Sweep | None = None

    def window(self, center: int, member_bytes: int, member_seconds: float = 0.0) -> list[int]:
        """The positions to hold around ``center``: as many as the byte budget and
        FAMILY_SECONDS allow (``member_seconds`` is the cost of one run), cut at the
        grid's ends; none when fewer than three fit."""
        count = min(
            self.positions,
            int(self.budget // max(member_bytes, 1)),
            int(FAMILY_SECONDS / member_seconds) if member_seconds > 0 else self.positions,
        )
        if count < FEWEST_MEMBERS:
            return []
        first = min(max(center - count // 2, 0), max(self.grid.size - count, 0))
        return list(range(first, min(first + count, self.grid.size)))

    def lookup(self, key: Any, value: float) -> Trajectories | None:
        """The run at ``value`` for inputs ``key``, if the family holds it."""
        index = self.grid.index(value)
        if key != self._key or index is None:
            return None
        return self._runs.get(index)

    def members(
        self,
        key: Any,
        positions: Sequence[int],
        compute: Callable[[list[float]], Sequence[Trajectories]],
    ) -> list[tuple[float, Trajectories]]:
        """The runs at ``positions`` for inputs ``key``: those held, and the others from
        one call of ``compute(values)``. Runs of other keys or outside are dropped."""
        self._use(key)
        missing = [i for i in positions if i not in self._runs]
        if missing:
            runs = compute([self.grid.value(i) for i in missing])
            self._runs.update(zip(missing, runs, strict=True))
        self._runs = {i: self._runs[i] for i in positions}
        return [(self.grid.value(i), self._runs[i]) for i in positions]

    def _use(self, key: Any) -> None:
        if key != self._key:
            self._key, self._runs, self._sweep = key, {}, None

    def sweep(self, key: Any) -> Sweep | None:
        """The sweep over the whole grid for inputs ``key``, if it was computed."""
        return self._sweep if key == self._key else None

    def keep_sweep(self, key: Any, sweep: Sweep) -> None:
        """Hold ``sweep`` (over this grid) for inputs ``key``."""
        self._use(key)
        self._sweep = sweep

    def clear(self) -> None:
        self._key, self._runs, self._sweep = None, {}, None
