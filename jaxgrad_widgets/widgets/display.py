"""Display transforms: show sigma where the optimiser works with log_sigma.

``display={"log_sigma": ("sigma", jnp.exp)}`` names a parameter, the name to show and
a monotonic function from the optimised value to the shown one. The optimisation
stays in the parameter's own space; axes, readouts and the status show the
transformed value (an axis keeps its positions and gets relabelled ticks, so a
log-space axis reads as a log-scaled sigma axis).

Example:
    >>> import numpy as np
    >>> d = DisplayTransforms({"log_sigma": ("sigma", np.exp)}, ("mu", "log_sigma"))
    >>> d.names, d.point([1.0, 0.0])
    (('mu', 'sigma'), (1.0, 1.0))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.errors import ObjectiveError


def nice_ticks(low: float, high: float, count: int = 6) -> np.ndarray:
    """Round numbers (1, 2, 5 x 10^k steps) between low and high.

    Example:
        >>> nice_ticks(0.37, 7.4).tolist()
        [2.0, 4.0, 6.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return np.array([], dtype=np.float64)
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = np.arange(first, high + step * 1e-9, step)
    return np.round(ticks, 12)


def js_key(value: float) -> str:
    """A number as JavaScript's String() writes it (bqplot matches tick labels by it).

    Shortest round-trip digits in positional notation, as JavaScript writes numbers
    from 1e-6 up to 1e21 (tick positions outside that range are snapped to 0 first).

    Example:
        >>> js_key(2.0), js_key(0.00005), js_key(-0.6931471805599453)
        ('2', '0.00005', '-0.6931471805599453')
    """
    return np.format_float_positional(float(value), unique=True, trim="-")


class DisplayTransforms:
    """Checked display transforms for an objective's flat parameters.

    Example:
        >>> d = DisplayTransforms(None, ("x", "y"))
        >>> d.names, d.point([1.0, 2.0])
        (('x', 'y'), (1.0, 2.0))
    """

    def __init__(
        self,
        display: Mapping[str, tuple[str, Callable[[Any], Any]]] | None,
        names: Sequence[str],
    ) -> None:
        self._functions: dict[int, Callable[[Any], Any]] = {}
        shown = list(names)
        for name, entry in dict(display or {}).items():
            if name not in names:
                raise ObjectiveError(
                    f"display names '{name}', which is not a parameter; choose from: "
                    f"{', '.join(names)}"
                )
            if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
                    and callable(entry[1])):  # fmt: skip
                raise ObjectiveError(
                    f"display['{name}'] must be (shown name, function), e.g. ('sigma', jnp.exp)"
                )
            index = list(names).index(name)
            shown[index] = entry[0]
            self._functions[index] = entry[1]
        self.names = tuple(shown)

    def value(self, index: int, value: float) -> float:
        """Parameter ``index``'s value as shown."""
        function = self._functions.get(index)
        return float(value) if function is None else float(np.asarray(function(value)))

    def point(self, point: Sequence[float]) -> tuple[float, ...]:
        """A whole point as shown."""
        return tuple(self.value(i, v) for i, v in enumerate(point))

    def ticks(self, index: int, low: float, high: float) -> tuple[list[float], dict[str, str]]:
        """Tick positions (in the optimised space) and their labels (in the shown one).

        Empty when parameter ``index`` has no transform or it is not monotonic there.

        Example:
            >>> d = DisplayTransforms({"s": ("sigma", np.exp)}, ("s",))
            >>> positions, labels = d.ticks(0, -1.0, 3.0)   # sigma from 0.37 to 20
            >>> [labels[k] for k in sorted(labels, key=float)]
            ['0.5', '1', '2', '5', '10', '20']
        """
        function = self._functions.get(index)
        if function is None:
            return [], {}
        samples = np.linspace(low, high, 512)
        shown = np.asarray([float(np.asarray(function(v))) for v in samples])
        if not np.isfinite(shown).all():
            return [], {}
        steps = np.diff(shown)
        if (steps <= 0).all():
            samples, shown = samples[::-1], shown[::-1]
        elif not (steps > 0).all():
            return [], {}
        low_shown, high_shown = float(shown[0]), float(shown[-1])
        if low_shown > 0 and high_shown / low_shown > 8:  # spans decades: 1, 2, 5 x 10^k
            ticks = [m * 10.0**k for k in range(math.floor(math.log10(low_shown)),
                                                math.ceil(math.log10(high_shown)) + 1)
                     for m in (1, 2, 5) if low_shown <= m * 10.0**k <= high_shown]  # fmt: skip
        else:
            ticks = nice_ticks(low_shown, high_shown).tolist()
        positions, labels = [], {}
        span = abs(high - low)
        for tick in ticks:
            position = float(np.interp(tick, shown, samples))
            if abs(position) < 1e-6 * max(span, 1.0):
                position = 0.0  # JavaScript would write it in exponent form
            positions.append(position)
            labels[js_key(position)] = f"{tick:.6g}"
        return positions, labels
