"""Derivatives of any order of a one-parameter objective, by composing ``jax.grad``.

An objective that ``jax.jit`` cannot trace (Python ``if`` on its argument) cannot be
``vmap``-ped either: it is differentiated point by point in Python instead, on fewer
points (:func:`sample_count`), since each point then costs milliseconds.

Example:
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.derivatives import nth_derivative
    >>> from jaxgrad_widgets.functions import polynomial
    >>> float(nth_derivative(Objective(polynomial), 2)(0.0))
    6.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import ObjectiveError
from .objective import Objective

#: grad composed more often than this compiles slowly and says little.
MAX_ORDER = 8

#: Points x 2**order an un-jittable objective is differentiated at per curve: one
#: point costs milliseconds in Python, about doubling with each order of nested
#: differentiation, so this keeps a curve within about a second.
EAGER_BUDGET = 400

#: Fewest points of an un-jittable objective's curve, whatever the order.
EAGER_MIN_SAMPLES = 16

#: Highest derivative used to classify a critical point of an un-jittable objective:
#: nested differentiation in Python grows exponentially with the order, and the 2nd
#: to 4th derivatives decide the usual cases (x**2, x**3, x**4).
EAGER_CLASSIFY_ORDER = 4

#: Samples of f' and bisection steps per critical point for an un-jittable objective:
#: 24 halvings take a sample interval (1% of the range) below float32 resolution.
EAGER_CRITICAL_SAMPLES = 101
EAGER_REFINE_STEPS = 24


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


def sample_count(objective: Objective, order: int, requested: int) -> int:
    """How many points to evaluate f, ..., f^(order) at: ``requested``, fewer if un-jittable.

    A jittable objective is evaluated in one compiled call, so any count is cheap. An
    un-jittable one is evaluated point by point in Python; its count is bounded so that
    a curve stays well under a second.

    Example:
        >>> import warnings
        >>> from jaxgrad_widgets.engine import Objective
        >>> def hinge(x):
        ...     return x**2 if x > 0 else -x
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     unjittable = Objective(hinge)
        >>> sample_count(Objective(lambda x: x**2), 2, 400), sample_count(unjittable, 2, 400)
        (400, 100)
    """
    requested = int(requested)
    if objective.jittable:
        return requested
    bound = max(EAGER_MIN_SAMPLES, EAGER_BUDGET // 2 ** check_order(order))
    return min(requested, bound)


def _eager_all_orders(objective: Objective, order: int) -> Callable[[Any], tuple[Any, ...]]:
    """x -> (f(x), f'(x), ..., f^(order)(x)) for one concrete x, without tracing f abstractly.

    Forward mode nested ``order`` times: every level sees concrete values (so Python
    ``if`` on them works) and one pass yields every order, where composing jax.grad
    eagerly would redo the lower orders for each higher one (seconds per point at
    order 8 instead of a fraction of one). For f: R -> R both modes give f^(k).
    """
    f = _scalar_of_one(objective)

    def value(x: Any) -> tuple[Any, ...]:
        return (f(x),)

    evaluate = value
    for _ in range(order):
        evaluate = _one_order_more(evaluate)
    return evaluate


def _one_order_more(inner: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any], tuple[Any, ...]]:
    def evaluate(x: Any) -> tuple[Any, ...]:
        values, tangents = jax.jvp(inner, (x,), (jnp.ones_like(x),))
        return (*values, tangents[-1])

    return evaluate


#: What JAX raises when f converts a value it differentiates (float(x), int(x)).
_CONVERSION_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerArrayConversionError,
    jax.errors.TracerIntegerConversionError,
)


def _eager_on(objective: Objective, points: np.ndarray, order: int) -> np.ndarray:
    """f, ..., f^(order) at each point in turn, in Python: an array (len(points), order + 1)."""
    evaluate = _eager_all_orders(objective, order)
    rows = np.full((len(points), order + 1), np.nan, np.float32)
    for i, x in enumerate(points):
        try:
            rows[i] = np.asarray(jnp.stack(evaluate(jnp.float32(x))), np.float32)
        except (ArithmeticError, ValueError):
            # Plain Python maths in the function (math.log of a negative, a division by
            # a zero float) has no value here: NaN, as a jnp function would give.
            continue
        except _CONVERSION_ERRORS as err:
            # Objective checked f at one point only; another branch of its `if` may
            # convert its argument, which no derivative can pass through.
            raise ObjectiveError(
                f"JAX cannot differentiate {objective.name} at {objective.names[0]}={x:.4g}: "
                f"{type(err).__name__}: {str(err).splitlines()[0]}"
            ) from None
    return rows


def derivatives_on(objective: Objective, xs: Any, order: int) -> np.ndarray:
    """f, f', ..., f^(order) at every x in one compiled call: shape ``(order + 1, len(xs))``.

    An un-jittable objective is evaluated point by point instead (much slower: choose
    how many points with :func:`sample_count`).

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import polynomial
        >>> derivatives_on(Objective(polynomial), [0.0, 1.0], 2).tolist()
        [[-3.0, 4.0], [4.0, 10.0], [6.0, 6.0]]
    """
    order = check_order(order)
    points = np.asarray(xs, dtype=np.float32).reshape(-1)
    if not objective.jittable:
        # vmap traces f with abstract values, which a Python `if` on them cannot take.
        return _eager_on(objective, points, order).T.copy()
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

        evaluate = jax.jit(jax.vmap(all_orders))
        cache[order] = evaluate
    values = np.asarray(evaluate(jnp.asarray(points)))
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


def _first_derivative_at(objective: Objective, x: float) -> float:
    return float(derivatives_on(objective, [x], 1)[1, 0])


def critical_points_1d(
    objective: Objective,
    bounds: tuple[float, float],
    *,
    samples: int = 2001,
    refine_steps: int = 60,
) -> list[tuple[float, str]]:
    """Points where f' = 0 inside ``bounds``, with their kind, for a 1-parameter objective.

    f' is sampled on a grid; each sign change (or exact zero) is narrowed by bisection,
    and classified from the higher derivatives (up to the 8th) there. An un-jittable
    objective, evaluated point by point in Python, gets at most
    ``EAGER_CRITICAL_SAMPLES`` samples, ``EAGER_REFINE_STEPS`` bisection steps and
    derivatives up to the ``EAGER_CLASSIFY_ORDER``-th.

    Example:
        >>> from jaxgrad_widgets.engine import Objective
        >>> from jaxgrad_widgets.functions import polynomial
        >>> [(round(x, 4), kind) for x, kind in critical_points_1d(Objective(polynomial), (-4, 3))]
        [(-0.6667, 'minimum')]
    """
    lo, hi = float(bounds[0]), float(bounds[1])
    highest = MAX_ORDER
    first: Callable[[float], Any] = nth_derivative(objective, 1)
    if not objective.jittable:
        samples = min(samples, EAGER_CRITICAL_SAMPLES)
        refine_steps = min(refine_steps, EAGER_REFINE_STEPS)
        highest = EAGER_CLASSIFY_ORDER
        first = functools.partial(_first_derivative_at, objective)

    xs = np.linspace(lo, hi, samples, dtype=np.float64)
    slope = derivatives_on(objective, xs, 1)[1].astype(np.float64)
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
    higher = derivatives_on(objective, np.asarray(roots), highest)[2:]
    scale = max(1.0, float(np.nanmax(np.abs(slope[np.isfinite(slope)]), initial=1.0)))
    return [(x, stationary_kind(higher[:, j], zero=1e-5 * scale)) for j, x in enumerate(roots)]
