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
    functions = [_scalar_of_one(objective)]
    for _ in range(order):
        functions.append(jax.grad(functions[-1]))

    def all_orders(x):
        return jnp.stack([fn(x) for fn in functions])

    evaluate = jax.vmap(all_orders)
    if objective.jittable:
        evaluate = jax.jit(evaluate)
    values = np.asarray(evaluate(jnp.asarray(xs, dtype=jnp.float32).reshape(-1)))
    return values.T.astype(np.float32)
