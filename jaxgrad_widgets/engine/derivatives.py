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

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .descent import _bucket
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


#: Orders from which a derivative is evaluated as a Taylor series (jax.experimental.jet)
#: rather than as grad composed that often: nested reverse mode makes a program that
#: grows about threefold with each order (3 s to compile the 8th derivative of
#: ``sin(5*x) * exp(-x**2 / 4)``), a Taylor series one that grows with its square (0.3 s).
TAYLOR_FROM_ORDER = 4


def _composed_grads(objective: Objective, order: int) -> Callable[[Any], jax.Array]:
    functions = [_scalar_of_one(objective)]
    for _ in range(order):
        functions.append(jax.grad(functions[-1]))
    return lambda x: jnp.stack([fn(x) for fn in functions])


def _taylor(objective: Objective, order: int) -> Callable[[Any], jax.Array]:
    """x -> (f, f', ..., f^(order)) from one Taylor expansion of f along x + t.

    ``jet`` propagates derivative-scaled coefficients: for the input series (1, 0, ...)
    its output terms are the derivatives themselves.
    """
    from jax.experimental import jet

    f = _scalar_of_one(objective)

    def all_orders(x: Any) -> jax.Array:
        series = [jnp.ones_like(x)] + [jnp.zeros_like(x)] * (order - 1)
        value, terms = jet.jet(f, (x,), (series,))
        return jnp.stack([value, *terms])

    return all_orders


def _nested_jvps(objective: Objective, order: int) -> Callable[[Any], jax.Array]:
    evaluate = _eager_all_orders(objective, order)
    return lambda x: jnp.stack(evaluate(x))


def _evaluator(objective: Objective, order: int, size: int) -> Callable[[Any], Any]:
    """The compiled x[size] -> (order + 1, size) for a jittable objective, made once.

    Kept on the objective per (order, size): a dragged marker calls it on every move,
    and a new jax.jit each time would recompile each time. From ``TAYLOR_FROM_ORDER``
    on, a Taylor series; where jet has no rule for a primitive f uses (``tan``,
    ``arctan``, ``lax.cond``, a ``custom_jvp``), forward mode nested ``order`` times.
    """
    cache = objective.__dict__.setdefault("_derivative_evaluators", {})
    key = (order, size)
    evaluate = cache.get(key)
    if evaluate is not None:
        return evaluate
    example = jnp.zeros(size, jnp.float32)
    if order < TAYLOR_FROM_ORDER:
        evaluate = jax.jit(jax.vmap(_composed_grads(objective, order)))
    else:
        evaluate = jax.jit(jax.vmap(_taylor(objective, order)))
        try:
            evaluate.lower(example)  # traces only: jet's missing rules show here
        except Exception:  # KeyError, NotImplementedError, a tracer error: no jet rule
            evaluate = jax.jit(jax.vmap(_nested_jvps(objective, order)))
    cache[key] = evaluate
    return evaluate


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
    count = len(points)
    if count == 0:
        return np.zeros((order + 1, 0), np.float32)
    # One point (a drag) as it is, else the next power of two from 64: curves, bisection
    # steps and critical points reuse a few compiled shapes instead of one per length.
    size = 1 if count == 1 else _bucket(count, 64)
    # Padded with the last point (a value f has), so the padding adds no warnings.
    padded = np.concatenate([points, np.full(size - count, points[-1], np.float32)])
    values = np.asarray(_evaluator(objective, order, size)(jnp.asarray(padded)))
    return values[:count].T.astype(np.float32)


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


def _brackets(xs: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where f' changes sign between samples (left, right, f' at left), and exact zeros
    (an interval of width zero; a run of zeros counts once, at its first sample)."""
    finite = np.isfinite(slope)
    a, b = slope[:-1], slope[1:]
    both = finite[:-1] & finite[1:]
    previous = np.concatenate([[np.nan], slope[:-2]])
    zero = both & (a == 0.0) & ((np.arange(len(a)) == 0) | (previous != 0.0))
    change = both & (a != 0.0) & (a * b < 0)
    found = zero | change
    left = xs[:-1][found]
    right = np.where(zero, xs[:-1], xs[1:])[found]
    return left.astype(np.float64), right.astype(np.float64), a[found].astype(np.float64)


def _bisect(
    objective: Objective, left: np.ndarray, right: np.ndarray, f_left: np.ndarray, steps: int
) -> np.ndarray:
    """Narrow every bracket at once: one evaluation of f' per step for all of them."""
    left, right, f_left = left.copy(), right.copy(), f_left.copy()
    for _ in range(steps):
        middle = 0.5 * (left + right)
        # Stop once no midpoint is a new float32 number: f' cannot tell them apart.
        single = middle.astype(np.float32)
        open_ = (single != left.astype(np.float32)) & (single != right.astype(np.float32))
        if not open_.any():
            break
        f_middle = np.zeros_like(middle)
        f_middle[open_] = derivatives_on(objective, middle[open_], 1)[1]
        hit = open_ & (f_middle == 0.0)
        left[hit] = right[hit] = middle[hit]
        same = open_ & ~hit & ((f_middle < 0) == (f_left < 0))
        left[same], f_left[same] = middle[same], f_middle[same]
        other = open_ & ~hit & ~same
        right[other] = middle[other]
    return 0.5 * (left + right)


def critical_points_1d(
    objective: Objective,
    bounds: tuple[float, float],
    *,
    samples: int = 2001,
    refine_steps: int = 60,
) -> list[tuple[float, str]]:
    """Points where f' = 0 inside ``bounds``, with their kind, for a 1-parameter objective.

    f' is sampled on a grid; every sign change (or exact zero) is narrowed by
    bisection, all of them together (one compiled call of f' per step), and classified
    from f'' there, or where f'' is zero too, from the higher derivatives (up to the
    8th). An un-jittable objective, evaluated point by point in Python, gets at most
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
    if not objective.jittable:
        samples = min(samples, EAGER_CRITICAL_SAMPLES)
        refine_steps = min(refine_steps, EAGER_REFINE_STEPS)
        highest = EAGER_CLASSIFY_ORDER

    xs = np.linspace(lo, hi, samples, dtype=np.float64)
    slope = derivatives_on(objective, xs, 1)[1].astype(np.float64)
    left, right, f_left = _brackets(xs, slope)
    if len(left) == 0:
        return []
    roots = _bisect(objective, left, right, f_left, refine_steps)
    scale = max(1.0, float(np.nanmax(np.abs(slope[np.isfinite(slope)]), initial=1.0)))
    zero = 1e-5 * scale
    # f'' decides almost every point; only where it is zero too are higher orders needed
    # (x**3, x**4), and only there is their costlier evaluator compiled.
    second = derivatives_on(objective, roots, 2)[2]
    kinds = [stationary_kind(second[j : j + 1], zero=zero) for j in range(len(roots))]
    flat = [j for j, kind in enumerate(kinds) if kind == "undetermined" and np.isfinite(second[j])]
    if flat and highest > 2:
        higher = derivatives_on(objective, roots[flat], highest)[2:]
        for column, j in enumerate(flat):
            kinds[j] = stationary_kind(higher[:, column], zero=zero)
    return [(float(x), kind) for x, kind in zip(roots, kinds, strict=True)]
