"""The Hessian along every path, in the plane of two parameters: the local model's axes.

Near a point ``p``, ``f(p + d) ~ f(p) + g . d + d' H d / 2``. In the plane of two
parameters (the map's), ``H`` is a symmetric 2 x 2 matrix ``[[a, b], [b, c]]``; its
eigenvectors are the axes of that local quadratic model (of its level ellipse where
both eigenvalues are positive, of its hyperbola at a saddle) and its eigenvalues the
curvature along them: positive where ``f`` curves up, negative where it curves down.

:func:`curvature_along` computes them at every point of every path in one compiled
call: two Hessian-vector products per point (whatever the number of parameters),
mapped over the points, and the closed-form eigen-decomposition of a symmetric 2 x 2
matrix. Point counts are padded to a power of two, so that a new number of starts
or steps rarely compiles again.

Example:
    >>> import numpy as np
    >>> from jaxgrad_widgets.engine import Objective
    >>> from jaxgrad_widgets.functions import goldfield
    >>> c = curvature_along(Objective(goldfield), np.zeros((1, 1, 2), np.float32))
    >>> [round(float(v[0, 0]), 3) for v in (c.first, c.second, c.angle)]
    [6.472, -2.472, -0.554]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .descent import plane_eigen
from .errors import ObjectiveError
from .landscape import batch_size
from .objective import Objective

#: The smallest padded point count (a point's Hessian may touch a lot of bound data:
#: padding a path of 300 steps to thousands would triple its cost).
MIN_POINTS = 64


@dataclass(frozen=True)
class PathCurvature:
    """The Hessian's eigen-directions in a plane, at many points.

    Attributes:
        angle: the first axis's direction (radians from the plane's x axis); the
            second axis is perpendicular to it.
        first: the curvature (eigenvalue) along the first axis, the larger one.
        second: the curvature along the second axis, the smaller one.

    Each has the shape of the points without their last axis; NaN where the point or
    its Hessian is not finite (a path after it diverged).

    Example:
        >>> import numpy as np
        >>> c = PathCurvature(np.zeros(2), np.ones(2), np.full(2, -1.0))
        >>> c.shape, c.curving_down.tolist()
        ((2,), [True, True])
    """

    angle: np.ndarray
    first: np.ndarray
    second: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.angle.shape)

    @property
    def curving_down(self) -> np.ndarray:
        """Where some direction curves down (a saddle's or a maximum's neighbourhood)."""
        return self.second < 0


def _padded_count(count: int) -> int:
    """The point count compiled for ``count`` points: a power of two, at least MIN_POINTS.

    Example:
        >>> _padded_count(10), _padded_count(301), _padded_count(16 * 1001)
        (64, 512, 16384)
    """
    return max(MIN_POINTS, 1 << max(count - 1, 0).bit_length())


def _compiled(objective: Objective, dims: tuple[int, int]) -> Any:
    """``points (n, dim) -> (angle, first, second)``, compiled once per objective and plane
    (jit traces again only for a new padded count)."""
    cache = objective.__dict__.setdefault("_path_curvature", {})
    compiled = cache.get(dims)
    if compiled is not None:
        return compiled
    gradient = jax.grad(objective.scalar_function)
    along_x = jnp.zeros(objective.dim, jnp.float32).at[dims[0]].set(1.0)
    along_y = jnp.zeros(objective.dim, jnp.float32).at[dims[1]].set(1.0)

    def at(point: jax.Array) -> jax.Array:
        # Two Hessian-vector products give the plane's block, whatever the dimension.
        _, column_x = jax.jvp(gradient, (point,), (along_x,))
        _, column_y = jax.jvp(gradient, (point,), (along_y,))
        a, b, c = column_x[dims[0]], column_x[dims[1]], column_y[dims[1]]
        return jnp.stack(plane_eigen(a, b, c))

    def along(points: jax.Array, batch: int) -> jax.Array:
        return jax.lax.map(at, points, batch_size=batch)

    compiled = jax.jit(along, static_argnums=1)
    cache[dims] = compiled
    return compiled


def curvature_along(
    objective: Objective, points: Any, dims: Sequence[int] = (0, 1)
) -> PathCurvature:
    """The Hessian's axes in the plane of ``dims`` at every point of ``points``.

    ``points`` has the parameters on its last axis (``(starts, frames, dim)`` for the
    paths of a run); the result has the shape of the rest. Non-finite points give NaN.

    Example:
        >>> import numpy as np
        >>> from jaxgrad_widgets.engine import Objective
        >>> bowl = Objective(lambda x, y: x**2 + 10 * y**2)
        >>> c = curvature_along(bowl, np.zeros((3, 2), np.float32))
        >>> c.first.tolist(), c.second.tolist(), np.degrees(c.angle).tolist()
        ([20.0, 20.0, 20.0], [2.0, 2.0, 2.0], [90.0, 90.0, 90.0])
    """
    if not objective.jittable:
        raise ObjectiveError(
            f"the curvature along the paths needs second derivatives JAX can compile; "
            f"{objective.name} runs op by op"
        )
    dims = (int(dims[0]), int(dims[1]))
    if dims[0] == dims[1] or not all(0 <= d < objective.dim for d in dims):
        raise ObjectiveError(
            f"dims must be two different parameters of {objective.name}, not {dims}"
        )
    array = np.asarray(points, np.float32)
    if array.ndim < 1 or array.shape[-1] != objective.dim:
        raise ObjectiveError(
            f"points must end in {objective.dim} parameters, not shape {array.shape}"
        )
    shape = array.shape[:-1]
    flat = array.reshape(-1, objective.dim)
    count = len(flat)
    if count == 0:
        empty = np.empty(shape, np.float32)
        return PathCurvature(empty, empty.copy(), empty.copy())
    padded = _padded_count(count)
    # Padding repeats the last point (a zero might be outside the function's domain).
    flat = np.concatenate([flat, np.repeat(flat[-1:], padded - count, axis=0)])
    batch = min(padded, 1 << (batch_size(objective).bit_length() - 1))
    out = np.array(_compiled(objective, dims)(flat, batch))[:count]
    # A point that is not finite has no curvature (even where f's Hessian ignores it).
    out[~np.isfinite(flat[:count]).all(axis=1)] = np.nan
    angle, first, second = (out[:, k].reshape(shape) for k in range(3))
    return PathCurvature(angle, first, second)


def curvature_along_paths(
    objective: Objective, paths: Any, dims: Sequence[int] = (0, 1), most_points: int | None = None
) -> PathCurvature:
    """:func:`curvature_along` over paths ``(starts, frames, dim)``: at every frame, or,
    when that is more than ``most_points`` points, at every k-th frame, each held until
    the next (the axes then move every k frames; a point's Hessian may cost a pass over
    a lot of data).

    Example:
        >>> import numpy as np
        >>> from jaxgrad_widgets.engine import Objective
        >>> bowl = Objective(lambda x, y: x**2 + (3 * x + y) ** 2)
        >>> paths = np.zeros((2, 10, 2), np.float32)
        >>> every, some = curvature_along_paths(bowl, paths), curvature_along_paths(
        ...     bowl, paths, most_points=8)
        >>> some.shape == every.shape == (2, 10), np.allclose(some.first, every.first)
        (True, True)
    """
    paths = np.asarray(paths, np.float32)
    starts, frames = paths.shape[:2]
    if most_points is None or starts * frames <= most_points:
        return curvature_along(objective, paths, dims)
    every = -(-starts * frames // max(int(most_points), starts))  # ceiling division
    sampled = curvature_along(objective, paths[:, ::every], dims)
    held = np.arange(frames) // every
    return PathCurvature(sampled.angle[:, held], sampled.first[:, held],
                         sampled.second[:, held])  # fmt: skip
