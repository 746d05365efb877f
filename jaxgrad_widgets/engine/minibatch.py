"""Stochastic gradients: each step sees a random minibatch of the bound data.

A likelihood or a regression loss over ``data`` bound as a keyword argument can be
descended on random minibatches instead of the whole data: at step ``i`` the
engine draws ``size`` indices (with replacement) from ``jax.random.fold_in(key(seed), i)``
and calls the function with those rows of every data argument. The same seed gives
the same noisy path; every start sees the same minibatch at the same step, so starts
stay comparable.

Example:
    >>> import jax.numpy as jnp
    >>> from jaxgrad_widgets.engine import Objective
    >>> def mse(w, x, y):
    ...     return jnp.mean((w * x - y) ** 2)
    >>> obj = Objective(mse, fixed={"x": jnp.arange(8.0), "y": 2 * jnp.arange(8.0)})
    >>> data_arguments(obj)
    (('x', 'y'), 8)
    >>> check_minibatch(obj, Minibatch(size=4, seed=1)).names
    ('x', 'y')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import DescentConfigError, a_type
from .objective import Objective

#: Seeds travel in the engine's float32 control vector, exact up to 2**24 - 1.
MAX_SEED = 2**24 - 1


@dataclass(frozen=True)
class Minibatch:
    """Ask for stochastic gradients: ``size`` rows per step, drawn from ``seed``.

    Args:
        size: rows of the data per step (with replacement); the whole data when it is
            as large as the data.
        seed: any whole number from 0 to ``MAX_SEED``; the same seed, the same path.
        over: the bound arguments to sample (names); by default every bound array
            whose first axis has the data's length.

    Example:
        >>> Minibatch(32, seed=7)
        Minibatch(size=32, seed=7, over=None)
    """

    size: int
    seed: int = 0
    over: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Sampling:
    """A checked minibatch for one objective: which arguments, how many rows.

    Example:
        >>> import jax.numpy as jnp
        >>> obj = Objective(lambda m, data: jnp.mean((data - m) ** 2),
        ...                 fixed={"data": jnp.zeros(10)})
        >>> sampling = check_minibatch(obj, Minibatch(4))
        >>> sampling.size, sampling.rows, sorted(sampling.data)
        (4, 10, ['data'])
    """

    names: tuple[str, ...]
    rows: int
    size: int
    seed: int
    data: dict[str, jax.Array]


def _leading_length(value: Any) -> int | None:
    shape = getattr(value, "shape", None)
    if shape is None or len(shape) == 0:
        return None
    return int(shape[0])


def data_arguments(objective: Objective) -> tuple[tuple[str, ...], int]:
    """The bound arrays a minibatch samples, and their common number of rows.

    The data is the longest first axis among the bound arrays (at least 2 rows);
    every bound array with that many rows is sampled with the same indices, so
    ``x`` and ``y`` of a regression stay paired. ``((), 0)`` when nothing is bound.

    Example:
        >>> import numpy as np
        >>> obj = Objective(lambda m, data, scale: m * data.sum() * scale,
        ...                 fixed={"data": np.ones(5), "scale": 2.0})
        >>> data_arguments(obj)
        (('data',), 5)
    """
    lengths = {name: _leading_length(v) for name, v in objective.fixed.items()}
    lengths = {name: n for name, n in lengths.items() if n is not None and n >= 2}
    if not lengths:
        return (), 0
    rows = max(lengths.values())
    return tuple(name for name, n in lengths.items() if n == rows), rows


def _check_whole(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise DescentConfigError(f"{what} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise DescentConfigError(f"{what}={value} must be between {low:,} and {high:,}")
    return int(value)


def check_minibatch(objective: Objective, minibatch: Minibatch | None) -> Sampling | None:
    """The sampling plan for ``minibatch``, None for the full gradient, or a clear error.

    A minibatch as large as the data is the full gradient (None).

    Example:
        >>> import numpy as np
        >>> obj = Objective(lambda m, data: ((data - m) ** 2).mean(), fixed={"data": np.ones(4)})
        >>> check_minibatch(obj, Minibatch(4)) is None
        True
        >>> try:
        ...     check_minibatch(obj, Minibatch(9))
        ... except ValueError as err:
        ...     print(err)
        a minibatch of 9 rows is more than the 4 rows of data; use 1 to 4
    """
    if minibatch is None:
        return None
    if not isinstance(minibatch, Minibatch):
        raise DescentConfigError(
            f"minibatch must be a Minibatch(size, seed), not {a_type(minibatch)}"
        )
    names, rows = data_arguments(objective)
    if minibatch.over is not None:
        names = _check_over(objective, minibatch.over)
        rows = _leading_length(objective.fixed[names[0]]) or 0
    if not names:
        raise DescentConfigError(
            f"minibatches need the data bound as a keyword argument of {objective.name} "
            "(for example data=samples), with one row per data point; data inside a "
            "closure or a functools.partial cannot be sampled"
        )
    size = _check_whole(minibatch.size, "the minibatch size", 1, 2**31 - 1)
    if size > rows:
        raise DescentConfigError(
            f"a minibatch of {size:,} rows is more than the {rows:,} rows of data; "
            f"use 1 to {rows:,}"
        )
    seed = _check_whole(minibatch.seed, "the seed", 0, MAX_SEED)
    if size == rows:
        return None
    data = {name: jnp.asarray(objective.fixed[name]) for name in names}
    return Sampling(names=names, rows=rows, size=size, seed=seed, data=data)


def _check_over(objective: Objective, over: Sequence[str]) -> tuple[str, ...]:
    names = (over,) if isinstance(over, str) else tuple(over)
    lengths = set()
    for name in names:
        if name not in objective.fixed:
            bound = ", ".join(objective.fixed) or "none"
            raise DescentConfigError(
                f"'{name}' is not a bound argument of {objective.name}; bound ones: {bound}"
            )
        length = _leading_length(objective.fixed[name])
        if length is None:
            raise DescentConfigError(f"'{name}' is not an array with one row per data point")
        lengths.add(length)
    if len(lengths) > 1:
        raise DescentConfigError(
            f"the sampled arguments {', '.join(names)} have different numbers of rows "
            f"({', '.join(map(str, sorted(lengths)))}); they must match"
        )
    return names


def minibatch_sampler(
    data: dict[str, Any], size: int, seed: Any
) -> Callable[[Any], dict[str, jax.Array]]:
    """``step -> {name: rows}``: the minibatch of every sampled argument at a step.

    Traceable (``seed`` and the step may be traced values); used inside the descent
    kernels and, un-jitted, by the step-by-step path.

    Example:
        >>> sample = minibatch_sampler({"data": jnp.arange(10.0)}, 3, seed=0)
        >>> sample(0)["data"].shape, bool((sample(5)["data"] == sample(5)["data"]).all())
        ((3,), True)
    """
    rows = next(iter(data.values())).shape[0]
    key = jax.random.PRNGKey(jnp.asarray(seed, jnp.uint32))

    def sample(step: Any) -> dict[str, jax.Array]:
        index = jax.random.randint(jax.random.fold_in(key, step), (size,), 0, rows)
        return {name: jnp.take(values, index, axis=0) for name, values in data.items()}

    return sample
