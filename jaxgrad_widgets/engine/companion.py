"""Per-frame model curves: what the parameters at every step say about the data.

For a likelihood, the model density at each step's (mu, sigma); for a regression,
the fitted line at each step's (w, b). One compiled call evaluates the curve at
every step of every start.

Example:
    >>> import jax.numpy as jnp, numpy as np
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.engine.companion import frame_curves
    >>> obj = Objective(lambda w, b: (w - 1) ** 2 + b**2)
    >>> params = np.array([[[0.0, 0.0], [1.0, 2.0]]], np.float32)   # 1 start, 2 frames
    >>> frame_curves(obj, lambda xs, w, b: w * xs + b, np.array([0.0, 1.0]), params).tolist()
    [[[0.0, 0.0], [2.0, 3.0]]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .errors import ObjectiveError
from .objective import Objective


def frame_curves(
    objective: Objective,
    curve: Callable[..., Any],
    xs: Any,
    params: np.ndarray,
) -> np.ndarray:
    """``curve(xs, *chosen arguments)`` at every frame: shape ``(starts, frames, len(xs))``.

    ``curve`` takes the x values and then the optimised arguments in ``argnums``
    order (as the objective unpacks them), and returns one y per x. Non-finite
    values (a diverged frame) come back as NaN.
    """
    grid = jnp.asarray(xs, dtype=jnp.float32).reshape(-1)
    # Compiled once per (objective, curve) and kept on the objective: the dashboard
    # calls this on every slider move, and a new jax.jit each time would recompile.
    cache = objective.__dict__.setdefault("_frame_curve_evaluators", {})
    evaluate = cache.get(curve)
    if evaluate is None:

        def one(points, flat):
            values = curve(points, *objective.unpack(flat))
            return jnp.reshape(values, points.shape).astype(jnp.float32)

        evaluate = jax.jit(jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(None, 0)))
        cache[curve] = evaluate
    try:
        values = evaluate(grid, jnp.asarray(params, dtype=jnp.float32))
    except Exception as err:
        raise ObjectiveError(
            f"the companion curve failed: {type(err).__name__}: {str(err).splitlines()[0]} "
            f"(it is called as curve(xs, {', '.join(objective.arg_names)}) and must return "
            "one value per x)"
        ) from None
    values = np.array(values, dtype=np.float32)  # a writable copy
    values[~np.isfinite(values)] = np.nan
    return values
