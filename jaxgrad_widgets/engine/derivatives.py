"""Derivatives of any order of a one-parameter objective, by composing ``jax.grad``.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.derivatives import nth_derivative
    >>> from jaxgrad_widgets.functions import polynomial
    >>> float(nth_derivative(Objective(polynomial), 2)(0.0))
    6.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import ObjectiveError
from .objective import Objective

#: grad composed more often than this compiles slowly and says little.
MAX_ORDER = 8


def check_order(order: Any) -> int:
    """``order`` as an int in [1, MAX_ORDER], or an ObjectiveError saying why not.

    Example:
        >>> check_order(3)
        3
    """
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ObjectiveError(f"order must be a whole number such as 2, not {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise ObjectiveError(f"order={order}: choose a derivative order from 1 to {MAX_ORDER}")
    return int(order)


def _scalar_of_one(objective: Objective) -> Callable[[Any], Any]:
    if objective.dim != 1:
        raise ObjectiveError(
            f"derivatives of this kind need a function of one number; {objective.name} has "
            f"{objective.dim} parameters ({', '.join(objective.names)})"
        )
    return lambda x: objective.scalar_function(jnp.reshape(x, (1,)))


def nth_derivative(objective: Objective, order: int) -> Callable[[Any], jax.Array]:
    """The ``order``-th derivative of a one-parameter objective: grad composed ``order`` times.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> float(nth_derivative(Objective(lambda x: x**3), 3)(1.0))
        6.0
    """
    f = _scalar_of_one(objective)
    for _ in range(check_order(order)):
        f = jax.grad(f)
    return f


def derivatives_on(objective: Objective, xs: Any, order: int) -> np.ndarray:
    """f, f', ..., f^(order) at every x in one compiled call: shape ``(order + 1, len(xs))``.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import polynomial
        >>> derivatives_on(Objective(polynomial), [0.0, 1.0], 2).tolist()
        [[-3.0, 4.0], [4.0, 10.0], [6.0, 6.0]]
    """
    order = check_order(order)
    # Built once per (objective, order) and kept on the objective: a dragged marker
    # calls this on every move, and a new jax.jit each time would recompile each time.
    cache = objective.__dict__.setdefault("_derivative_evaluators", {})
    evaluate = cache.get(order)
    if evaluate is None:
        functions = [_scalar_of_one(objective)]
        for _ in range(order):
            functions.append(jax.grad(functions[-1]))

        def all_orders(x):
            return jnp.stack([fn(x) for fn in functions])

        evaluate = jax.vmap(all_orders)
        if objective.jittable:
            evaluate = jax.jit(evaluate)
        cache[order] = evaluate
    values = np.asarray(evaluate(jnp.asarray(xs, dtype=jnp.float32).reshape(-1)))
    return values.T.astype(np.float32)


def stationary_kind(derivatives: np.ndarray, zero: float = 1e-6) -> str:
    """Kind of a point where f' = 0, from f'', f''', ... (``derivatives[0]`` is f'').

    The first derivative that is not zero decides: an even order gives a minimum
    (positive) or maximum (negative), an odd order a stationary inflection. When all
    are zero (or none are given) the kind is 'undetermined'.

    Example:
        >>> stationary_kind(np.array([6.0])), stationary_kind(np.array([0.0, 0.0, 24.0]))
        ('minimum', 'minimum')
        >>> stationary_kind(np.array([0.0, 6.0])), stationary_kind(np.array([0.0]))
        ('inflection', 'undetermined')
    """
    for offset, value in enumerate(np.asarray(derivatives, dtype=float)):
        if not np.isfinite(value):
            return "undetermined"
        if abs(value) > zero:
            order = offset + 2
            if order % 2 == 1:
                return "inflection"
            return "minimum" if value > 0 else "maximum"
    return "undetermined"


def critical_points_1d(
    objective: Objective,
    bounds: tuple[float, float],
    *,
    samples: int = 2001,
    refine_steps: int = 60,
) -> list[tuple[float, str]]:
    """Points where f' = 0 inside ``bounds``, with their kind, for a 1-parameter objective.

    f' is sampled on a grid; each sign change (or exact zero) is narrowed by bisection,
    and classified from the higher derivatives (up to the 8th) there.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import polynomial
        >>> [(round(x, 4), kind) for x, kind in critical_points_1d(Objective(polynomial), (-4, 3))]
        [(-0.6667, 'minimum')]
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    xs = np.linspace(lo, hi, samples, dtype=np.float64)
    slope = derivatives_on(objective, xs, 1)[1].astype(np.float64)
    first = nth_derivative(objective, 1)
    roots: list[float] = []
    for i in range(samples - 1):
        a, b = slope[i], slope[i + 1]
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        if a == 0.0:
            if i == 0 or slope[i - 1] != 0.0:
                roots.append(float(xs[i]))
            continue
        if a * b < 0:
            left, right = float(xs[i]), float(xs[i + 1])
            f_left = a
            for _ in range(refine_steps):
                middle = 0.5 * (left + right)
                f_middle = float(first(middle))
                if f_middle == 0.0:
                    left = right = middle
                    break
                if (f_middle < 0) == (f_left < 0):
                    left, f_left = middle, f_middle
                else:
                    right = middle
            roots.append(0.5 * (left + right))
    if not roots:
        return []
    higher = derivatives_on(objective, np.asarray(roots), MAX_ORDER)[2:]
    scale = max(1.0, float(np.nanmax(np.abs(slope[np.isfinite(slope)]), initial=1.0)))
    return [(x, stationary_kind(higher[:, j], zero=1e-5 * scale)) for j, x in enumerate(roots)]
